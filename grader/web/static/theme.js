// Theme and contrast, applied before first paint (this file loads in <head>, not deferred).
// Stored choices: localStorage "academy-theme" = auto|light|dark, "academy-contrast" = normal|high.
(function () {
  "use strict";
  var root = document.documentElement;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var more = window.matchMedia("(prefers-contrast: more)");

  function stored(key, fallback) {
    try { return localStorage.getItem(key) || fallback; } catch (e) { return fallback; }
  }
  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* private mode: keep it per page */ }
  }
  function apply() {
    var theme = stored("academy-theme", "auto");
    var contrast = stored("academy-contrast", more.matches ? "high" : "normal");
    root.dataset.theme = theme === "auto" ? (dark.matches ? "dark" : "light") : theme;
    root.dataset.themeChoice = theme;
    root.dataset.contrast = contrast;
    var themeButton = document.getElementById("theme-toggle");
    if (themeButton) { themeButton.querySelector("span").textContent = theme; }
    var contrastButton = document.getElementById("contrast-toggle");
    if (contrastButton) { contrastButton.setAttribute("aria-pressed", String(contrast === "high")); }
  }
  apply();
  dark.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", function () {
    apply();
    var themeButton = document.getElementById("theme-toggle");
    if (themeButton) {
      themeButton.addEventListener("click", function () {
        var order = ["auto", "dark", "light"];
        var next = order[(order.indexOf(stored("academy-theme", "auto")) + 1) % order.length];
        store("academy-theme", next);
        apply();
      });
    }
    var contrastButton = document.getElementById("contrast-toggle");
    if (contrastButton) {
      contrastButton.addEventListener("click", function () {
        store("academy-contrast", root.dataset.contrast === "high" ? "normal" : "high");
        apply();
      });
    }
    root.classList.remove("no-js");
  });
})();
