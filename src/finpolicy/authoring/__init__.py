"""Tools for policy authors: canonical formatting (``fmt``) and editor schemas (``schema``)."""
