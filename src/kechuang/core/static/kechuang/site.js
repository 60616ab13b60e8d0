/* Small progressive enhancements for every page. No inline code is allowed by the CSP, so page
   behaviour lives here and in the other files of this folder. */
(function () {
  "use strict";

  // django-filter's empty choice reads "---------"; a form can name it (data-empty-label="全部").
  function labelEmptyChoices(root) {
    var forms = (root || document).querySelectorAll("form[data-empty-label]");
    Array.prototype.forEach.call(forms, function (form) {
      var text = form.getAttribute("data-empty-label");
      Array.prototype.forEach.call(form.querySelectorAll("select option[value='']"), function (option) {
        if (/^-+$/.test(option.textContent.trim())) {
          option.textContent = text;
        }
      });
      // a yes/no filter's "either" choice is value "unknown" ("未知"), which reads as "not known"
      Array.prototype.forEach.call(form.querySelectorAll("select option[value='unknown']"), function (option) {
        option.textContent = text;
      });
    });
  }

  // Main navigation: modules keep adding entries. On wide screens whatever does not fit on one line
  // moves into a "更多" (more) menu at the end, so the bar never wraps under the brand or overflows.
  function fitNavigation() {
    var list = document.querySelector(".kc-nav-list");
    if (!list) { return; }
    var old = list.querySelector(".kc-nav-more");
    if (old) { old.parentNode.removeChild(old); }
    var items = Array.prototype.filter.call(list.children, function (li) { return li.classList.contains("nav-item"); });
    items.forEach(function (li) { li.hidden = false; });
    if (window.innerWidth < 992 || list.scrollWidth <= list.clientWidth + 1) { return; }

    var more = document.createElement("li");
    more.className = "nav-item dropdown kc-nav-more";
    var toggle = document.createElement("a");
    toggle.className = "nav-link dropdown-toggle";
    toggle.href = "#";
    toggle.setAttribute("role", "button");
    toggle.setAttribute("data-bs-toggle", "dropdown");
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = list.getAttribute("data-more-label") || "更多";
    var menu = document.createElement("ul");
    menu.className = "dropdown-menu dropdown-menu-end";
    more.appendChild(toggle);
    more.appendChild(menu);
    list.appendChild(more);

    for (var i = items.length - 1; i > 0 && list.scrollWidth > list.clientWidth + 1; i--) {
      items[i].hidden = true;
      // a task group moves with its entries under its own heading; a plain link moves as it is
      var links = items[i].querySelectorAll(".dropdown-item");
      if (!links.length) { links = [items[i].querySelector("a")]; }
      for (var j = links.length - 1; j >= 0; j--) {
        var link = links[j];
        var entry = document.createElement("li");
        var copy = document.createElement("a");
        copy.className = "dropdown-item" + (link.classList.contains("active") ? " active" : "");
        copy.href = link.getAttribute("href");
        copy.textContent = link.textContent;
        if (link.classList.contains("active")) {
          copy.setAttribute("aria-current", "page");
          toggle.classList.add("active");
        }
        entry.appendChild(copy);
        menu.insertBefore(entry, menu.firstChild);
      }
      var heading = items[i].querySelector(".dropdown-toggle");
      if (heading) {
        var title = document.createElement("li");
        title.innerHTML = '<h6 class="dropdown-header"></h6>';
        title.firstChild.textContent = heading.textContent;
        menu.insertBefore(title, menu.firstChild);
      }
    }
  }

  var fitPending = null;
  window.addEventListener("resize", function () {
    if (fitPending) { window.clearTimeout(fitPending); }
    fitPending = window.setTimeout(fitNavigation, 120);
  });

  function ready() {
    labelEmptyChoices(document);
    fitNavigation();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  document.addEventListener("htmx:afterSwap", function (event) { labelEmptyChoices(event.target); });
})();
