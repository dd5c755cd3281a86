"""Refuse callback requests that Dash's renderer could not have sent, before any callback runs.

A browser posts ``/_dash-update-component`` with a JSON body naming one of the app's callbacks
and, for each of its inputs and states, the component id and the property's current value. A
forged body can put anything there: a list where a text is expected, an object where a list
is, an id no page has. Callbacks check the *values* they are given against their options (a
value outside them is dropped); this guard checks the *shape*, once for every callback:

- the body is an object naming a callback of the app, with as many inputs and states as it
  declares, each with the id and property it declares (pattern-matching ids: the same keys,
  the same fixed values);
- each value has the type the property can hold: a text for ``search`` and ``pathname`` (a
  path, starting with "/"), a count for ``n_clicks``, a text, number, boolean or a list of them
  for ``value``, an object for ``clickData``, and so on.

Anything else is answered 400 with a short reason, never 500. It runs after the log-in check
(registered after it), so an anonymous request gets its 401 first.
"""

from __future__ import annotations

import json
import math

from flask import jsonify, request

CALLBACK_PATH = "/_dash-update-component"
MAX_BODY_BYTES = 1 << 20  # a callback body is a few kilobytes
MAX_TEXT = 2000           # characters of one text value (a filter value is a few)
MAX_ITEMS = 1000          # values in one list
WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")


class Malformed(ValueError):
    pass


def _scalar(value) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, bool | int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _check_value(prop: str, value) -> None:
    """Raise Malformed unless ``value`` is something property ``prop`` can hold."""
    if value is None:
        return
    ok = True
    if prop == "pathname":
        ok = isinstance(value, str) and value.startswith("/") and len(value) <= MAX_TEXT
    elif prop in ("search", "hash", "href"):
        ok = isinstance(value, str) and len(value) <= MAX_TEXT * 4
    elif prop in ("n_clicks", "n_clicks_timestamp", "n_submit", "n_blur"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif prop == "value":
        ok = _scalar(value) or (isinstance(value, list) and len(value) <= MAX_ITEMS
                                and all(_scalar(v) for v in value))
    elif prop in ("options",):
        ok = isinstance(value, list) and len(value) <= 100_000
    elif prop in ("clickData", "hoverData", "selectedData", "relayoutData", "restyleData"):
        ok = isinstance(value, dict)
    if not ok:
        raise Malformed(f"a {type(value).__name__} is not a possible {prop!r}")


def _pattern(declared_id: str):
    return json.loads(declared_id) if declared_id.startswith("{") else declared_id


def _id_matches(pattern, sent) -> bool:
    if not isinstance(pattern, dict):
        return sent == pattern
    if not isinstance(sent, dict) or set(sent) != set(pattern):
        return False
    for key, want in pattern.items():
        got = sent[key]
        if isinstance(want, list):  # a wildcard: any plain value
            if not (isinstance(got, str | int | float) and not isinstance(got, bool)
                    and (not isinstance(got, str) or len(got) <= MAX_TEXT)):
                return False
        elif got != want:
            return False
    return True


def _check_item(declared: dict, sent) -> None:
    for item in _items(declared["id"], sent):
        if not isinstance(item, dict) or not _id_matches(_pattern(declared["id"]),
                                                         item.get("id")):
            raise Malformed(f"an input is not {declared['id']}.{declared['property']}")
        if item.get("property") != declared["property"]:
            raise Malformed(f"{declared['id']} has no property {item.get('property')!r} here")
        _check_value(declared["property"], item.get("value"))


def _items(declared_id: str, sent) -> list:
    """What was sent for one declared id: a list of items for ALL and ALLSMALLER patterns."""
    pattern = _pattern(declared_id)
    if isinstance(pattern, dict) and (["ALL"] in pattern.values()
                                      or ["ALLSMALLER"] in pattern.values()):
        if not isinstance(sent, list) or len(sent) > MAX_ITEMS:
            raise Malformed(f"{declared_id} takes a list")
        return sent
    return [sent]


def _declared_outputs(output: str) -> list[tuple[str, str]]:
    """(id, property) of each output in a callback's key ("..a.b...c.d.." or "a.b")."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(part.rsplit(".", 1)[0], part.rsplit(".", 1)[1].split("@")[0]) for part in parts]


def _check_outputs(output: str, outputs) -> None:
    declared = _declared_outputs(output)
    sent = outputs if output.startswith("..") else [outputs]
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise Malformed("the callback has other outputs")
    for (declared_id, prop), item in zip(declared, sent, strict=True):
        for one in _items(declared_id, item):
            if (not isinstance(one, dict) or not _id_matches(_pattern(declared_id), one.get("id"))
                    or not isinstance(one.get("property"), str)
                    or one["property"].split("@")[0] != prop):
                raise Malformed(f"an output is not {declared_id}.{prop}")


def check_body(body, callback_map) -> None:
    """Raise Malformed unless ``body`` is a request the renderer could send to the app."""
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise Malformed("no such callback")
    spec = callback_map[output]
    inputs, state = body.get("inputs"), body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        raise Malformed("inputs and state are lists")
    if len(inputs) != len(spec["inputs"]) or len(state) != len(spec.get("state", [])):
        raise Malformed("the callback has other inputs")
    for declared, sent in zip(spec["inputs"], inputs, strict=True):
        _check_item(declared, sent)
    for declared, sent in zip(spec.get("state", []), state, strict=True):
        _check_item(declared, sent)
    _check_outputs(output, body.get("outputs"))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise Malformed("changedPropIds is a list of texts")


def register(app) -> None:
    """Check every callback request to ``app`` (register after the log-in check)."""

    @app.server.before_request
    def check_callback_request():
        if request.method != "POST" or not request.path.endswith(CALLBACK_PATH):
            return None
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return jsonify(error="the callback request is too large"), 413
        try:
            check_body(request.get_json(silent=True), app.callback_map)
        except Malformed as problem:
            return jsonify(error=f"malformed callback request: {problem}"), 400
        return None
