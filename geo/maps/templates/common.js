/* wijkatlas: helpers shared by the atlas and the boundary-change page. Plain ES2017. */
(function () {
  "use strict";

  var formats = {};

  /** A number the Dutch way (1.234,5) with a fixed number of decimals; "" for null. */
  function fmt(value, decimals) {
    if (value === null || value === undefined || !isFinite(value)) { return ""; }
    var d = decimals || 0;
    if (!formats[d]) {
      formats[d] = new Intl.NumberFormat("nl-NL",
        { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: true });
    }
    var text = formats[d].format(value);
    return text === "-0" || /^-0,0+$/.test(text) ? text.slice(1) : text;
  }

  /** Escape text from data files before it goes into HTML. */
  function esc(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /** Unit geometries from the quantised, delta-encoded arrays written by geo.maps.data. */
  function decode(g) {
    var scale = Math.pow(10, -g.q), c = g.c, n = c.length / 2;
    var lat = new Float64Array(n), lng = new Float64Array(n), x = 0, y = 0, i;
    for (i = 0; i < n; i++) {
      x += c[2 * i]; y += c[2 * i + 1];
      lng[i] = x * scale; lat[i] = y * scale;
    }
    var units = [];
    for (var u = 0; u < g.u.length - 1; u++) {
      var polygons = [];
      for (var p = g.u[u]; p < g.u[u + 1]; p++) {
        var rings = [];
        for (var r = g.p[p]; r < g.p[p + 1]; r++) {
          var ring = [];
          for (var k = g.r[r]; k < g.r[r + 1]; k++) { ring.push([lat[k], lng[k]]); }
          rings.push(ring);
        }
        polygons.push(rings);
      }
      units.push(polygons);
    }
    return units;
  }

  /** Read the JSON data block of the page. */
  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  /** Start with no basemap offline; with PDOK grijs when the browser says it is online. */
  function chooseBasemap(map, none, online) {
    if (online && navigator.onLine) {
      map.removeLayer(none);
      map.addLayer(online);
    }
  }

  /** Mark the page ready after the first frame with everything drawn (for tests, bench). */
  function markReady(api) {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        api.ready = true;
        api.readyAt = window.performance.now();
      });
    });
  }

  /** Put a small box with the title and links to the other pages at the top left; with
   *  ``choice`` (the pages of the other wijkindelingen) a version choice that opens them. */
  function titleControl(map, title, subtitle, pages, choice, current) {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "wa-panel wa-title");
      var links = (pages || []).map(function (p) {
        return '<a href="' + encodeURI(p.file) + '">' + esc(p.title) + "</a>";
      }).join(" · ");
      var pick = "";
      if (choice && choice.length > 1) {
        pick = "<label class=\"wa-version\">Wijkindeling <select id=\"wa-version\">" +
          choice.map(function (c) {
            return "<option value=\"" + esc(c.file) + "\"" + (c.id === current ? " selected" : "") +
              ">" + esc(c.name) + "</option>";
          }).join("") + "</select></label>";
      }
      div.innerHTML = "<h1>" + esc(title) + "</h1><div class=\"wa-sub\">" + esc(subtitle) +
        "</div>" + pick + (links ? "<nav>" + links + "</nav>" : "");
      var select = div.querySelector("#wa-version");
      if (select) {
        select.addEventListener("change", function () {
          window.location.href = encodeURI(select.value);
        });
      }
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  }

  /** Leaflet's own controls in Dutch, and a metric scale only. */
  function localise(map) {
    function label(el, text) {
      if (el) { el.title = text; el.setAttribute("aria-label", text); }
    }
    if (map.zoomControl) {
      label(map.zoomControl._zoomInButton, "Inzoomen");
      label(map.zoomControl._zoomOutButton, "Uitzoomen");
    }
    map.attributionControl.setPrefix("<a href=\"https://leafletjs.com\" hreflang=\"en\" " +
      "title=\"JavaScript-bibliotheek voor interactieve kaarten\">Leaflet</a>");
    L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
    function dutchToggles() {
      var toggles = map.getContainer().querySelectorAll(".leaflet-control-layers-toggle");
      for (var i = 0; i < toggles.length; i++) { label(toggles[i], "Kaartlagen kiezen"); }
    }
    dutchToggles();
    map.on("layeradd", dutchToggles);
    map.on("popupopen", function (e) {
      label(e.popup._closeButton, "Sluiten");
      if (e.popup._closeButton) { e.popup._closeButton.setAttribute("aria-label", "Pop-up sluiten"); }
    });
    map.getContainer().setAttribute("aria-label", "Kaart; gebruik de pijltjestoetsen om te " +
      "schuiven en + en - om te zoomen");
  }

  /** Fit the map to ``bounds`` in the part no panel covers: below the panels at the top and
   * above those at the bottom on a narrow screen (a phone, where they span the width), right
   * of the panels on the left and left of those on the right on a wider one. */
  function fitFree(map, bounds) {
    var box = map.getContainer().getBoundingClientRect(), narrow = box.width < 600;
    var top = 0, bottom = 0, left = 0, right = 0;
    var panels = map.getContainer().querySelectorAll(".wa-panel");
    for (var i = 0; i < panels.length; i++) {
      var r = panels[i].getBoundingClientRect();
      if (!r.width || !r.height) { continue; }
      var atTop = !!panels[i].closest(".leaflet-top");
      var atLeft = !!panels[i].closest(".leaflet-left");
      if (narrow && atTop) { top = Math.max(top, r.bottom - box.top); }
      else if (narrow) { bottom = Math.max(bottom, box.bottom - r.top); }
      else if (atLeft) { left = Math.max(left, r.right - box.left); }
      else { right = Math.max(right, box.right - r.left); }
    }
    // At least a third of the map stays for the units, whatever the panels.
    if (top + bottom > box.height * 2 / 3) { top = bottom = 0; }
    if (left + right > box.width * 2 / 3) { left = right = 0; }
    map.fitBounds(bounds, { animate: false, paddingTopLeft: [left, top],
                            paddingBottomRight: [right, bottom] });
  }

  window.wijkatlasCommon = {
    fmt: fmt, esc: esc, decode: decode, data: data, chooseBasemap: chooseBasemap,
    markReady: markReady, titleControl: titleControl, localise: localise, fitFree: fitFree
  };
})();
