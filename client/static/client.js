// The client's only script, and nothing depends on it: every page works without JavaScript.
// 1. Counts the access token's expiry down on the home page.
// 2. "Copy" buttons next to the flow inspector's curl commands.
(function () {
  function tick() {
    var now = Math.floor(Date.now() / 1000);
    document.querySelectorAll("[data-expires-at]").forEach(function (el) {
      var left = Number(el.getAttribute("data-expires-at")) - now;
      el.textContent = left > 0 ? String(left) : "0 (expired: the next API call refreshes first)";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var pre = button.parentElement.querySelector("pre");
        if (pre && navigator.clipboard) {
          navigator.clipboard.writeText(pre.textContent);
          button.textContent = "Copied";
        }
      });
    });
  });
})();
