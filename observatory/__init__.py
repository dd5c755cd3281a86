"""PES Observatory: channel usage and labour-market analytics for Public Employment Services."""

__version__ = "0.1.0"
