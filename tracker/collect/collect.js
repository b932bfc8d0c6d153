// collect.js: browser-side logging through visitrack's tracker/collect.
//
// Load it from where the handler is mounted, and it defines window.visitrack:
//
//   <script src="/visitrack/collect.js" defer></script>
//
//   visitrack.click({product: "12793", api: "recommendations/trending",
//                    labels: ["Homepage - Trending"], n: 0})   // n: 0-indexed position
//   visitrack.view("12793"); visitrack.category("shoes"); visitrack.email("a@example.com")
//   visitrack.follow(event, {product: ..., labels: [...], n: 2})  // in a link's click handler
//
// Each call POSTs Clerk's log/* body as JSON to the same origin and returns a
// promise of the answer ({"status": "ok"} or Clerk's error shape). The visitor
// is not sent: the server takes it from its own cookie or session.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/\/collect\.js(?:[?#].*)?$/, "") : "/visitrack";

  function log(endpoint, body) {
    return fetch(base + "/log/" + endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true, // the request outlives a page being left
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  // follow logs a click on a link, then follows it: once the click is
  // answered, or after 500 ms, whichever comes first. A modified click
  // (new tab, new window) is only logged; the browser follows it itself.
  function follow(event, click) {
    var link = event.currentTarget;
    var sent = log("click", click).catch(function () {});
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey || !link || !link.href) {
      return sent;
    }
    event.preventDefault();
    var gone = false;
    function go() { if (!gone) { gone = true; window.location.assign(link.href); } }
    setTimeout(go, 500);
    return sent.then(go);
  }

  window.visitrack = {
    log: log,
    follow: follow,
    click: function (click) { return log("click", click); },
    view: function (product) { return log("product", {product: product}); },
    category: function (category) { return log("category", {category: category}); },
    email: function (email) { return log("email", {email: email}); }
  };
})();
