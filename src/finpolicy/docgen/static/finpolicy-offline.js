/* A site opened from files (file://, a copy on a laptop or a stick) cannot fetch its own
   pages: the browser refuses. Sphinx's search fetches each result's page to quote a summary,
   so there each result failed with "Failed to fetch"; from files the results are listed
   without summaries instead. Added by `finpolicy docs`. */
if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}
