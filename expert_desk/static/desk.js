// Live refresh of the console's live part: fetch the server-rendered (autoescaped) fragment
// every two seconds and swap it in. When the page's static part must change (a new call to
// write notes for), reload the whole page. No build step, no inline script (CSP).
"use strict";

(function () {
  const live = document.getElementById("live");
  if (!live) {
    return;
  }
  const url = live.dataset.liveUrl;
  const version = live.dataset.version;
  const everyMs = 2000;

  async function refresh() {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (response.status === 401) {
        window.location.reload();
        return;
      }
      if (response.ok) {
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const fresh = template.content.firstElementChild;
        if (fresh && fresh.dataset.version !== version) {
          window.location.reload();
          return;
        }
        live.replaceChildren(template.content);
      }
    } catch (error) {
      // The network hiccuped: try again at the next tick.
    }
    window.setTimeout(refresh, everyMs);
  }

  window.setTimeout(refresh, everyMs);
})();
