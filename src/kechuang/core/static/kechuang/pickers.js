/* Pickers for long lists (issue 14 item 6): a select marked data-kc-picker by kechuang.core.widgets
   becomes a searchable Tom Select (static/vendor/tom-select). The select stays the form's field, so the
   chosen values post as before; without JavaScript the plain select is used as it is.
   - data-kc-picker="local": search the rendered options (their text and data-keywords), in optgroups.
   - data-kc-picker="remote": search an API list endpoint (data-kc-picker-url, ?q=); an option's text is
     the answer's keys named in data-kc-picker-text, codes mapped by data-kc-picker-labels. */
(function () {
  "use strict";

  function escape(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function texts(select) {
    return {
      placeholder: select.getAttribute("data-kc-picker-placeholder") || "",
      empty: select.getAttribute("data-kc-picker-empty") || "",
      loading: select.getAttribute("data-kc-picker-loading") || "",
      remove: select.getAttribute("data-kc-picker-remove") || ""
    };
  }

  function baseSettings(select) {
    var t = texts(select);
    var settings = {
      placeholder: t.placeholder,
      hidePlaceholder: false,
      maxOptions: null,
      plugins: {},
      render: {
        no_results: function () { return '<div class="no-results">' + escape(t.empty) + "</div>"; },
        loading: function () { return '<div class="spinner-border spinner-border-sm m-2" role="status"><span class="visually-hidden">' + escape(t.loading) + "</span></div>"; }
      }
    };
    if (select.multiple) {
      settings.plugins.remove_button = { title: t.remove };
    } else if (!select.required) {
      // the empty choice ("---------") becomes the placeholder; an optional choice can be cleared
      settings.plugins.clear_button = { title: t.remove };
    }
    return settings;
  }

  function optionText(item, keys, labels) {
    var parts = [];
    keys.forEach(function (key) {
      var value = item[key];
      var names = labels[key];
      if (Array.isArray(value)) {
        value = value.map(function (v) { return names && names[v] ? names[v] : v; }).join("、");
      } else if (names && value != null && names[value] !== undefined) {
        value = names[value];
      }
      if (value !== null && value !== undefined && value !== "") { parts.push(String(value)); }
    });
    return parts.join(" · ");
  }

  function initRemote(select, settings) {
    var url = select.getAttribute("data-kc-picker-url");
    var keys = (select.getAttribute("data-kc-picker-text") || "name").split(/\s+/);
    var labels = {};
    try { labels = JSON.parse(select.getAttribute("data-kc-picker-labels") || "{}"); } catch (e) { labels = {}; }
    // Only the chosen options stay: the others come from the API as the user types.
    Array.prototype.slice.call(select.options).forEach(function (option) {
      if (!option.selected && option.value !== "") { option.parentNode.removeChild(option); }
    });
    settings.valueField = "value";
    settings.labelField = "text";
    settings.searchField = ["text"];
    settings.preload = "focus";
    settings.score = function () { return function () { return 1; }; };  // the API has searched already
    settings.load = function (query, callback) {
      var picker = this;
      var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "page_size=30&q=" + encodeURIComponent(query);
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          picker.clearOptions();  // keeps the chosen ones; the last answer replaces the one before
          callback((data.results || []).map(function (item) {
            return { value: String(item.id), text: optionText(item, keys, labels) };
          }));
        })
        .catch(function () { callback(); });
    };
    return new window.TomSelect(select, settings);
  }

  function init(root) {
    if (typeof window.TomSelect !== "function") { return; }
    var selects = (root || document).querySelectorAll("select[data-kc-picker]");
    Array.prototype.forEach.call(selects, function (select) {
      if (select.tomselect) { return; }
      var settings = baseSettings(select);
      if (select.getAttribute("data-kc-picker") === "remote") {
        initRemote(select, settings);
      } else {
        settings.searchField = ["text", "keywords"];
        settings.lockOptgroupOrder = true;
        new window.TomSelect(select, settings);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
