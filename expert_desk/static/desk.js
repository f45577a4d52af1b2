// Live refresh of the console's live part: fetch the server-rendered (autoescaped) fragment
// every two seconds and swap it in. When the page's static part must change (a new call to
// write notes for), fetch the whole console again and swap its page in. The console's forms
// are sent the same way: the page is never left, so the browser phone (phone.js, outside
// #page) keeps a call that rings or goes on meanwhile. No build step, no inline script (CSP).
"use strict";

(function () {
  const everyMs = 2000;

  function live() {
    return document.getElementById("live");
  }

  function swapIn(html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const page = fresh.getElementById("page");
    const current = document.getElementById("page");
    if (!page || !current) {
      return false;
    }
    current.replaceWith(page);
    const flashes = fresh.getElementById("flashes");
    if (flashes) {
      document.getElementById("flashes").replaceWith(flashes);
    }
    return true;
  }

  function showError(text) {
    const line = document.createElement("p");
    line.className = "flash error";
    line.setAttribute("role", "status");
    line.textContent = text;
    document.getElementById("flashes").replaceChildren(line);
  }

  // A page that is not the console (the sign-in page, an error) is shown as a page of its own.
  async function follow(response) {
    const html = await response.text();
    if (response.ok && swapIn(html)) {
      return;
    }
    if (response.ok) {
      window.location.assign(response.url);
      return;
    }
    const page = new DOMParser().parseFromString(html, "text/html");
    const main = page.querySelector("main");
    showError((main && main.textContent.trim().replace(/\s+/g, " ")) || `HTTP ${response.status}`);
  }

  async function reloadPage() {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    await follow(response);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.closest("#page") || form.method.toLowerCase() !== "post") {
      return;
    }
    event.preventDefault();
    const button = event.submitter;
    if (button) {
      button.disabled = true;
    }
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form, button),
        credentials: "same-origin",
      });
      await follow(response);
    } catch (error) {
      showError("The console cannot be reached: check the network and try again.");
      if (button) {
        button.disabled = false;
      }
    }
  });

  async function refresh() {
    const holder = live();
    if (!holder) {
      return;
    }
    try {
      const response = await fetch(holder.dataset.liveUrl, {
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
        if (fresh && fresh.dataset.version !== holder.dataset.version) {
          if (document.getElementById("page")) {
            await reloadPage();
          } else {
            window.location.reload();
            return;
          }
        } else {
          holder.replaceChildren(template.content);
        }
      }
    } catch (error) {
      // The network hiccuped: try again at the next tick.
    }
    window.setTimeout(refresh, everyMs);
  }

  if (live()) {
    window.setTimeout(refresh, everyMs);
  }
})();
