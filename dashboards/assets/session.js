// When the session has ended (8 hours idle, logged out in another tab, the account removed),
// the server answers Dash's requests with 401 and the charts would silently stop updating:
// send the browser to the log-in page instead, coming back to this view afterwards.
(function () {
    "use strict";
    var fetchFirst = window.fetch;
    var leaving = false;

    function loginUrl() {
        var prefix = "/";
        var config = document.getElementById("_dash-config");
        if (config) {
            try {
                prefix = JSON.parse(config.textContent).requests_pathname_prefix || "/";
            } catch (ignored) { /* keep "/" */ }
        }
        var here = window.location.pathname + window.location.search;
        return prefix + "login?next=" + encodeURIComponent(here);
    }

    window.fetch = function (input) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        return fetchFirst.apply(this, arguments).then(function (response) {
            if (response.status === 401 && url.indexOf("_dash-") !== -1 && !leaving) {
                leaving = true;
                window.location.assign(loginUrl());
            }
            return response;
        });
    };
}());
