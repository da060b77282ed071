/* A link to a rule of a version this site no longer holds (a bookmark or a citation made on an
   earlier release: #rule-cn-access-1-1-0-access-deny-x) leads to the rule's entry in the newest
   version that holds it (#rule-cn-access-access-deny-x), and says so above the entry. Nothing
   happens when the page has the anchor, or no rule of that name. Added by `finpolicy docs`. */
(() => {
  "use strict";
  const VERSION = /^[0-9][0-9a-z]*(-[0-9a-z]+)*$/;

  // the anchor without a version that `wanted` names with one: same start (the policy), same
  // end (rule set and rule), a version between them
  const current = (wanted) => {
    let best = null;
    for (const el of document.querySelectorAll("[id^='rule-']")) {
      const id = el.id;
      let k = 0;
      while (k < id.length && id[k] === wanted[k]) k += 1;
      k = id.lastIndexOf("-", k - 1) + 1;  // back to the start of a word
      const rest = id.slice(k);
      if (!rest || !wanted.endsWith("-" + rest)) continue;
      const version = wanted.slice(k, wanted.length - rest.length - 1);
      if (VERSION.test(version) && (best === null || rest.length > best.rest.length)) {
        best = {el, version, rest};
      }
    }
    return best;
  };

  const notice = () => {
    let note = document.getElementById("finpolicy-moved");
    if (note === null) {
      note = document.createElement("p");
      note.id = "finpolicy-moved";
      note.className = "finpolicy-moved";
      note.setAttribute("role", "status");
    }
    return note;
  };

  const follow = () => {
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (!wanted.startsWith("rule-") || document.getElementById(wanted)) return;
    const found = current(wanted);
    const note = notice();
    if (found === null) {
      // no such rule: say so at the top of the page rather than show it as if found
      note.textContent = `This page holds no rule the link names (#${wanted}): the rule was `
        + "removed, or its policy is published elsewhere. The version history lists the rules "
        + "each version removed.";
      const article = document.querySelector("article") || document.body;
      article.insertBefore(note, article.firstChild);
      note.scrollIntoView();
      return;
    }
    const version = /^[0-9]+(-[0-9]+)*$/.test(found.version)
      ? found.version.replaceAll("-", ".") : found.version;
    note.textContent = `The link named this rule in version ${version}, which this edition of `
      + "the site no longer holds: shown here is the rule in the newest version that has it. "
      + "The version history lists what changed between versions.";
    const term = found.el.closest("dt");
    const body = term && term.nextElementSibling;
    if (body && body.tagName === "DD") body.insertBefore(note, body.firstChild);
    else found.el.parentNode.insertBefore(note, found.el);
    (term || found.el).scrollIntoView();
  };

  // after the page has loaded: the theme's own scripts have placed everything by then
  if (document.readyState === "complete") follow();
  else window.addEventListener("load", follow);
  window.addEventListener("hashchange", follow);
})();
