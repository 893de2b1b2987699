/* wijkatlas: the themed choropleth atlas with a time control. Needs common.js and Leaflet.
 *
 * The data block (geo.maps.data.atlas_payload) holds the geometry once; per indicator and year
 * a string with one character per unit: a class digit (observed), a class letter (partial),
 * "s" (suppressed, "geheim"), "m" (missing, "geen gegevens"), "k" (a register count below the
 * source's threshold, shown as "< 5"), "w" (withheld: it would reveal a small count by
 * subtraction, "afgeschermd") or "t" (too few survey answers). Changing the year or the
 * indicator restyles the same polygons and rebuilds the legend from what is drawn.
 */
(function () {
  "use strict";
  var C = window.wijkatlasCommon, fmt = C.fmt, esc = C.esc;
  var SUPPRESSED = { fillColor: "#8c8c8c", fillOpacity: 0.9, dashArray: "4 3" };
  var MISSING = { fillColor: "#ffffff", fillOpacity: 0.6, dashArray: "1 4" };
  var SMALL = { fillColor: "#d9d9d9", fillOpacity: 0.9, dashArray: null };
  var WITHHELD = { fillColor: "#bdbdbd", fillOpacity: 0.9, dashArray: "2 3" };
  var STATUS = {
    o: "waargenomen", p: "gedeeltelijk geheim", s: "geheim", m: "geen gegevens",
    k: "klein aantal, niet gepubliceerd", w: "afgeschermd (zou door aftrekken een klein aantal tonen)",
    t: "te weinig respons"
  };
  function smallLabel(I) { return I.small || "< 5"; }  // e.g. "< 5 registraties"
  var TOO_FEW = { fillColor: "#e7e1ef", fillOpacity: 0.8, dashArray: "3 3" };
  var SIG = { u: "significant gestegen", d: "significant gedaald",
    g: "geen significante verandering" };

  /** A class label; "77 - 77" (a class of one value) reads "77". */
  function classLabel(label) {
    var m = /^(.+?) - (.+)$/.exec(String(label));
    return m && m[1] === m[2] ? m[1] : String(label);
  }

  function kindOf(ch) {
    if (ch >= "0" && ch <= "9") { return { status: "o", cls: ch.charCodeAt(0) - 48 }; }
    if (ch >= "a" && ch <= "j") { return { status: "p", cls: ch.charCodeAt(0) - 97 }; }
    return { status: ch, cls: -1 };
  }

  /** Dense rows from rows that may be sparse ({i: index gaps, v: values}, see data.py). */
  function expand(rows, n) {
    return rows.map(function (row) {
      if (Array.isArray(row)) { return row; }
      var out = new Array(n).fill(null), at = 0;
      row.i.forEach(function (gap, k) { at += gap; out[at] = row.v[k]; });
      return out;
    });
  }

  window.wijkatlasAtlas = function (map, dataId, basemaps) {
    var D = C.data(dataId), n = D.units.code.length, years = D.years;
    D.indicators.forEach(function (I) {
      ["lo", "hi", "ip", "n"].forEach(function (key) { if (I[key]) { I[key] = expand(I[key], n); } });
    });
    var byCode = {};
    D.indicators.forEach(function (ind, i) { byCode[ind.code] = i; });
    var state = { ind: byCode[D["default"]] || 0, year: years.length - 1 };
    var api = { map: map, data: D, ready: false, state: state };
    window.wijkatlas = api;

    var renderer = D.canvas ? L.canvas({ padding: 0.2 }) : L.svg({ padding: 0.2 });
    var shapes = C.decode(D.geom), layers = new Array(n);
    var group = L.featureGroup();
    for (var i = 0; i < n; i++) {
      layers[i] = L.polygon(shapes[i], {
        renderer: renderer, className: "wijk", color: "#4d4d4d", weight: 1, opacity: 1,
        fillOpacity: 0.85
      });
      layers[i].unitIndex = i;
      group.addLayer(layers[i]);
    }
    shapes = null;
    group.addTo(map);
    if (!D.canvas) {
      layers.forEach(function (layer, j) { layer.getElement().setAttribute("data-code", D.units.code[j]); });
    }
    api.layers = layers;
    api.bounds = group.getBounds();
    map.fitBounds(api.bounds, { animate: false });
    map.attributionControl.addAttribution(esc(D.credit));

    function ind() { return D.indicators[state.ind]; }

    /** Year indexes in which some unit has a figure of indicator I (not all "m"). */
    function dataYears(I) {
      if (!I.dataYears) {
        I.dataYears = [];
        I.cls.forEach(function (row, y) { if (/[^m]/.test(row)) { I.dataYears.push(y); } });
      }
      return I.dataYears;
    }

    /** The year to show for I: the current one when it has data, else the nearest earlier
     * year with data, else the first later one. */
    function yearWithData(I, y) {
      var ys = dataYears(I);
      if (!ys.length || ys.indexOf(y) >= 0) { return y; }
      var before = ys.filter(function (k) { return k < y; });
      return before.length ? before[before.length - 1] : ys[0];
    }

    function styleOf(j) {
      var I = ind(), k = kindOf(I.cls[state.year].charAt(j));
      if (k.status === "s") { return SUPPRESSED; }
      if (k.status === "m") { return MISSING; }
      if (k.status === "t") { return TOO_FEW; }
      if (k.status === "k") { return SMALL; }
      if (k.status === "w") { return WITHHELD; }
      return {
        fillColor: I.classes[k.cls].colour, fillOpacity: 0.85,
        dashArray: k.status === "p" ? "6 3" : null
      };
    }

    function valueText(I, j, y) {
      var k = kindOf(I.cls[y].charAt(j));
      if (k.status === "s") { return "geheim"; }
      if (k.status === "m") { return "geen gegevens"; }
      if (k.status === "t") { return "te weinig respons"; }
      if (k.status === "w") { return "afgeschermd"; }
      if (k.status === "k") { return esc(smallLabel(I)); }
      var v = fmt(I.v[y][j], I.decimals) + " " + esc(I.unit);
      if (k.status !== "p") { return v; }
      // The observed part of a count is a lower bound; of a share or mean it is not.
      return I.kind === "count" ? "ten minste " + v + " (gedeeltelijk geheim)" :
        v + " (gedeeltelijk geheim: zonder de geheime buurten berekend)";
    }

    /** Survey: "n = 185, marge ± 7,2 procentpunt" (and "indicatief" under 100). */
    function surveyText(I, j, y) {
      var n = I.n ? I.n[y][j] : null;
      if (n === null || n === undefined) { return ""; }
      var k = kindOf(I.cls[y].charAt(j)), text = "n = " + fmt(n, 0);
      var v = I.v[y][j], lo = I.lo ? I.lo[y][j] : null, hi = I.hi ? I.hi[y][j] : null;
      if (k.status === "o" && v !== null && lo !== null && hi !== null) {
        text += ", marge ± " + fmt(Math.max(v - lo, hi - v), I.decimals) +
          (I.unit === "%" ? " procentpunt" : "");
        if (n < 100) { text += " (indicatief)"; }
      }
      return text;
    }

    function sigText(I, j, y) {
      var c = I.sig ? I.sig[y].charAt(j) : "-";
      return SIG[c] ? SIG[c] + " t.o.v. vorige meting" : "";
    }

    function tooltip(layer) {
      var j = layer.unitIndex, I = ind(), y = state.year;
      var k = kindOf(I.cls[y].charAt(j));
      var rows = [
        "<b class=\"wa-name\">" + esc(D.units.name[j]) + "</b> <span class=\"wa-code\">(" +
          esc(D.units.code[j]) + ")</span>",
        esc(I.label) + ", " + years[y],
        "<span class=\"wa-value\">" + valueText(I, j, y) + "</span>",
        "Status: <span class=\"wa-status\">" + STATUS[k.status] + "</span>"
      ];
      var share = I.ip ? I.ip[y][j] || 0 : 0;
      var survey = I.survey ? surveyText(I, j, y) : "";
      if (survey) {
        rows.push("<span class=\"wa-survey\">" + survey + "</span>");
        var sig = sigText(I, j, y);
        if (sig) { rows.push("<span class=\"wa-sig wa-sig-" + I.sig[y].charAt(j) + "\">" + sig + "</span>"); }
      } else if (I.survey) {
        rows.push("<span class=\"wa-survey\">geen meting in " + years[y] + "</span>");
      } else if (share > 0 && (k.status === "o" || k.status === "p")) {
        var line = "<span class=\"wa-interp\">" + share + "% geïnterpoleerd";
        var lo = I.lo ? I.lo[y][j] : null, hi = I.hi ? I.hi[y][j] : null;
        if (lo !== null && hi !== null) {
          line += ", marge " + fmt(lo, I.decimals) + " – " + fmt(hi, I.decimals);
        } else if (lo !== null && I.kind === "count") {
          line += ", ten minste " + fmt(lo, I.decimals);
        }
        rows.push(line + "</span>");
      } else if (k.status === "o" || k.status === "p") {
        rows.push("<span class=\"wa-interp\">niet geïnterpoleerd</span>");
      }
      if (I.kind === "median") { rows.push("benadering (mediaan van buurten)"); }
      return rows.join("<br>");
    }

    /** A series as an index (first value = 100), for counts. */
    function asIndex(vals) {
      var base = null;
      vals.forEach(function (v) { if (base === null && v !== null && v !== 0) { base = v; } });
      return vals.map(function (v) { return v === null || base === null ? null : v / base * 100; });
    }

    /** First and last year with a value, the change and the index, in words. */
    function changeText(I, own) {
      var first = -1, last = -1;
      own.forEach(function (v, y) { if (v !== null) { if (first < 0) { first = y; } last = y; } });
      if (first < 0 || last === first) { return ""; }
      var d = own[last] - own[first], unit = I.unit === "%" ? "procentpunt" : I.unit;
      var text = "Verandering " + years[first] + "–" + years[last] + ": " +
        (d > 0 ? "+" : d < 0 ? "−" : "±") + fmt(Math.abs(d), I.decimals) + " " + esc(unit);
      if (own[first] !== 0 && I.unit !== "%") {
        text += " (index " + fmt(own[last] / own[first] * 100, 0) + ")";
      }
      return "<div class=\"wa-change\">" + text + "</div>";
    }

    function chart(I, j) {
      var W = 260, H = 120, L0 = 44, R0 = 8, T0 = 8, B0 = 22;
      var raw = I.v.map(function (row) { return row[j]; });
      var counted = I.kind === "count";
      var own = counted ? asIndex(raw) : raw;
      var avg = counted ? asIndex(I.avg) : I.avg;
      // The scale follows the wijk's own values (padded); the gemeente line is clipped to it.
      var all = own.filter(function (v) { return v !== null; });
      if (!all.length) { return "<p>Geen gegevens voor " + esc(D.unitThis || "deze wijk") + ".</p>"; }
      var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
      var pad = (hi - lo) * 0.15 || Math.max(Math.abs(hi) * 0.05, 1);
      lo -= pad; hi += pad;
      var clipId = "wa-clip-" + j;
      function X(y) { return L0 + (years.length === 1 ? 0.5 : y / (years.length - 1)) * (W - L0 - R0); }
      function Y(v) { return T0 + (1 - (v - lo) / (hi - lo)) * (H - T0 - B0); }
      function line(vals, cls) {
        var d = "", pen = false, prev = -1, dashed = "";
        vals.forEach(function (v, y) {
          if (v === null) { if (!I.survey) { pen = false; } return; }
          if (I.survey && cls === "wa-own" && prev >= 0 && I.sig && I.sig[y].charAt(j) !== "u" &&
              I.sig[y].charAt(j) !== "d") {
            // a change that is not significant: drawn dashed
            dashed += "M" + X(prev).toFixed(1) + " " + Y(vals[prev]).toFixed(1) + "L" +
              X(y).toFixed(1) + " " + Y(v).toFixed(1);
            d += "M" + X(y).toFixed(1) + " " + Y(v).toFixed(1);
          } else {
            d += (pen ? "L" : "M") + X(y).toFixed(1) + " " + Y(v).toFixed(1);
          }
          pen = true;
          prev = y;
        });
        var dots = vals.map(function (v, y) {
          return v === null ? "" : "<circle class=\"" + cls + "\" cx=\"" + X(y).toFixed(1) +
            "\" cy=\"" + Y(v).toFixed(1) + "\" r=\"2.5\"/>";
        }).join("");
        return "<path class=\"" + cls + "\" d=\"" + d + "\"/>" +
          (dashed ? "<path class=\"" + cls + " wa-nonsig\" d=\"" + dashed + "\"/>" : "") + dots;
      }
      var dec = counted ? 0 : I.decimals;
      var shown = raw.filter(function (v) { return v !== null; });
      var alt = esc(I.label) + ", " + esc(D.units.name[j]) + ": van " + fmt(shown[0], I.decimals) +
        " naar " + fmt(shown[shown.length - 1], I.decimals) + " " + esc(I.unit) +
        (counted ? " (getekend als index, eerste jaar = 100)" : "");
      return "<svg class=\"wa-chart\" width=\"" + W + "\" height=\"" + H + "\" viewBox=\"0 0 " +
        W + " " + H + "\" role=\"img\" aria-label=\"" + alt + "\">" +
        "<defs><clipPath id=\"" + clipId + "\"><rect x=\"" + L0 + "\" y=\"" + T0 +
        "\" width=\"" + (W - L0 - R0) + "\" height=\"" + (H - T0 - B0) + "\"/></clipPath></defs>" +
        "<line class=\"wa-axis\" x1=\"" + L0 + "\" y1=\"" + (H - B0) + "\" x2=\"" + (W - R0) +
        "\" y2=\"" + (H - B0) + "\"/>" +
        "<text x=\"" + (L0 - 4) + "\" y=\"" + (Y(hi - pad) + 3).toFixed(1) + "\" text-anchor=\"end\">" +
        fmt(hi - pad, dec) + "</text>" +
        "<text x=\"" + (L0 - 4) + "\" y=\"" + (Y(lo + pad) + 3).toFixed(1) + "\" text-anchor=\"end\">" +
        fmt(lo + pad, dec) + "</text>" +
        "<text x=\"" + L0 + "\" y=\"" + (H - 6) + "\">" + years[0] + "</text>" +
        "<text x=\"" + (W - R0) + "\" y=\"" + (H - 6) + "\" text-anchor=\"end\">" +
        years[years.length - 1] + "</text>" +
        "<line class=\"wa-now\" x1=\"" + X(state.year).toFixed(1) + "\" y1=\"" + T0 +
        "\" x2=\"" + X(state.year).toFixed(1) + "\" y2=\"" + (H - B0) + "\"/>" +
        "<g clip-path=\"url(#" + clipId + ")\">" + line(avg, "wa-avg") + "</g>" +
        line(own, "wa-own") + "</svg>" + (counted ? "<div class=\"wa-legend-note\">index, " +
        "eerste jaar = 100</div>" : "") + outsideNote(avg, lo, hi, counted, I) +
        changeText(I, raw);
    }

    /** Say so when the gemeente line leaves the chart (the scale follows the wijk). */
    function outsideNote(avg, lo, hi, counted, I) {
      var last = -1, out = false;
      avg.forEach(function (v, y) {
        if (v === null) { return; }
        last = y;
        if (v < lo || v > hi) { out = true; }
      });
      if (!out) { return ""; }
      var label = String(I.avgLabel || "gemiddelde");
      return "<div class=\"wa-legend-note wa-avg-outside\">" +
        esc(label.charAt(0).toUpperCase() + label.slice(1)) +
        " valt deels buiten deze schaal (" + years[last] + ": " +
        (counted ? "index " + fmt(avg[last], 0) : fmt(avg[last], I.decimals) + " " +
        esc(I.unit)) + ").</div>";
    }

    /** Survey editions of one wijk: value, n, margin and whether the change is significant. */
    function surveyTable(I, j) {
      var html = "<table class=\"wa-editions\"><tr><th>jaar</th><th>waarde</th><th>n, marge</th>" +
        "<th>verandering</th></tr>";
      years.forEach(function (yr, y) {
        if (!I.n || I.n[y][j] === null || I.n[y][j] === undefined) { return; }
        var c = I.sig ? I.sig[y].charAt(j) : "-";
        html += "<tr data-year=\"" + yr + "\"><td>" + yr + "</td><td>" + valueText(I, j, y) +
          "</td><td>" + surveyText(I, j, y) + "</td><td class=\"wa-sig wa-sig-" + c + "\">" +
          (SIG[c] || "") + "</td></tr>";
      });
      return html + "</table><div class=\"wa-legend-note\">gestippelde lijn: geen significante " +
        "verandering (95 %)</div>";
    }

    function popup(layer) {
      var j = layer.unitIndex, I = ind();
      return "<div class=\"wa-popup\"><b>" + esc(D.units.name[j]) + "</b><div>" +
        esc(I.title) + ", " + years[0] + "–" + years[years.length - 1] +
        "</div>" + chart(I, j) +
        "<div class=\"wa-key\"><span class=\"wa-own-key\"></span> " +
        esc(D.unitNoun || "wijk") + " " +
        "<span class=\"wa-avg-key\"></span> " + esc(I.avgLabel) + "</div>" +
        (I.survey ? surveyTable(I, j) :
          "<div>" + years[state.year] + ": " + valueText(I, j, state.year) + "</div>") +
        (D.units.profileDir ? "<p class=\"wa-profile\"><a href=\"" + esc(encodeURI(profileUrl(j))) +
          "\">Wijkprofiel " + esc(D.units.name[j]) + "</a></p>" : "") + "</div>";
    }

    /** The wijkprofiel page of unit j (its code, or the safe stem the build gave it). */
    function profileUrl(j) {
      var stems = D.units.profileStem || {};
      var stem = Object.prototype.hasOwnProperty.call(stems, String(j)) ? stems[String(j)] :
        D.units.code[j];
      return D.units.profileDir + stem + ".html";
    }

    /** Pan the map (instead of Leaflet's auto-pan) so that the popup lies inside the map and
     * no panel (title, indicator panel, legend, attribution) covers it: down below the panels
     * above it, or up above the panels below it. */
    function keepClear(pop) {
      var el = pop.getElement();
      if (!el) { return; }
      var c = map.getContainer().getBoundingClientRect(), p = el.getBoundingClientRect();
      var dx = 0, down = Math.max(0, c.top + 10 - p.top), up = 0;
      if (p.right > c.right - 10) { dx = p.right - (c.right - 10); }
      if (p.left - dx < c.left + 10) { dx = p.left - (c.left + 10); }
      var panels = map.getContainer().querySelectorAll(".wa-panel, .leaflet-control-attribution");
      for (var i = 0; i < panels.length; i++) {
        var r = panels[i].getBoundingClientRect();
        if (!r.width || !r.height || r.right <= p.left - dx || r.left >= p.right - dx ||
            r.bottom <= p.top || r.top >= p.bottom) { continue; }
        // Panels in the top corners push the popup down, those at the bottom push it up.
        if (panels[i].closest(".leaflet-top")) { down = Math.max(down, r.bottom + 6 - p.top); }
        else { up = Math.max(up, p.bottom + 6 - r.top); }
      }
      if (down && up) { up = 0; }  // no room for both: keep the popup's top (its name) clear
      if (dx || down || up) { map.panBy([dx, up - down], { animate: false }); }
    }

    group.bindTooltip(tooltip, { sticky: true, className: "wa-tooltip" });
    group.bindPopup(popup, { maxWidth: 280, autoPan: false });
    map.on("popupopen", function (e) {
      L.DomUtil.addClass(map.getContainer(), "wa-popup-open");
      group.closeTooltip();
      keepClear(e.popup);
    });
    map.on("popupclose", function () { L.DomUtil.removeClass(map.getContainer(), "wa-popup-open"); });
    group.on("mouseover", function (e) { e.layer.setStyle({ weight: 3 }); });
    group.on("mouseout", function (e) { e.layer.setStyle({ weight: 1 }); });

    // Controls: indicator choice by theme, time slider, legend.
    var panel = L.control({ position: "topleft" });
    var select, slider, yearLabel, yearsNote, legendDiv, playButton, timer = null;
    panel.onAdd = function () {
      var div = L.DomUtil.create("div", "wa-panel wa-controls");
      var html = "<label for=\"wa-indicator\">Indicator</label><select id=\"wa-indicator\">";
      D.themes.forEach(function (theme) {
        html += "<optgroup label=\"" + esc(theme.charAt(0).toUpperCase() + theme.slice(1)) + "\">";
        D.indicators.forEach(function (I, k) {
          if (I.theme === theme) {
            html += "<option value=\"" + k + "\">" + esc(I.label) + "</option>";
          }
        });
        html += "</optgroup>";
      });
      html += "</select><label for=\"wa-year\">Jaar: <b id=\"wa-year-label\"></b></label>" +
        "<div class=\"wa-time\"><button id=\"wa-play\" type=\"button\" title=\"Afspelen\"" +
        " aria-label=\"Afspelen\">&#9654;</button>" +
        "<input id=\"wa-year\" type=\"range\" min=\"0\" max=\"" + (years.length - 1) +
        "\" step=\"1\"></div><div class=\"wa-ticks\"><span>" + years[0] + "</span><span>" +
        years[years.length - 1] + "</span></div><div id=\"wa-years-note\" class=\"wa-legend-note\"" +
        " aria-live=\"polite\"></div>";
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      select = div.querySelector("#wa-indicator");
      slider = div.querySelector("#wa-year");
      yearLabel = div.querySelector("#wa-year-label");
      yearsNote = div.querySelector("#wa-years-note");
      select.value = String(state.ind);
      slider.value = String(state.year);
      select.addEventListener("change", function () { api.setIndicator(+select.value); });
      slider.addEventListener("input", function () { api.stop(); api.setYear(+slider.value); });
      playButton = div.querySelector("#wa-play");
      playButton.addEventListener("click", function () {
        if (timer) { api.stop(); } else { api.play(); }
      });
      return div;
    };
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      legendDiv = L.DomUtil.create("div", "wa-panel wa-legend");
      legendDiv.id = "wa-legend";
      L.DomEvent.disableScrollPropagation(legendDiv);
      return legendDiv;
    };
    var noun = D.unitsNoun || "wijken";
    C.titleControl(map, D.title, noun === "wijken" && /wijken/.test(D.versionName) ?
      D.versionName : D.versionName + " · " + fmt(D.units.code.length, 0) + " " + noun,
      basemaps.pages, D.choice, D.version);
    panel.addTo(map);
    legend.addTo(map);

    /** The legend of what is drawn now: every class with its count, plus special statuses. */
    function drawLegend() {
      var I = ind(), row = I.cls[state.year], counts = {}, c;
      for (var j = 0; j < row.length; j++) {
        c = row.charAt(j);
        var k = kindOf(c), key = k.cls >= 0 ? "c" + k.cls : k.status;
        counts[key] = (counts[key] || 0) + 1;
        if (k.status === "p") { counts.p = (counts.p || 0) + 1; }
      }
      var html = "<div class=\"wa-legend-title\">" + esc(I.title) + ", " +
        "<span class=\"wa-legend-year\">" + years[state.year] + "</span></div><table>";
      I.classes.forEach(function (cl, k) {
        html += "<tr data-colour=\"" + esc(cl.colour) + "\" data-count=\"" + (counts["c" + k] || 0) +
          "\"><td><i class=\"wa-swatch\" style=\"background:" + esc(cl.colour) + "\"></i></td><td>" +
          esc(classLabel(cl.label)) + "</td><td class=\"wa-count\">" + (counts["c" + k] || 0) + "</td></tr>";
      });
      [["p", "wa-swatch wa-partial", "gedeeltelijk geheim (gestreepte rand)"],
       ["s", "wa-swatch wa-suppressed", "geheim"],
       ["k", "wa-swatch wa-small", esc(smallLabel(I))],
       ["w", "wa-swatch wa-withheld", "afgeschermd"],
       ["t", "wa-swatch wa-toofew", "te weinig respons"],
       ["m", "wa-swatch wa-missing", "geen gegevens"]].forEach(function (e) {
        if (counts[e[0]]) {
          html += "<tr data-status=\"" + e[0] + "\" data-count=\"" + counts[e[0]] +
            "\"><td><i class=\"" + e[1] + "\"></i></td><td>" + e[2] +
            "</td><td class=\"wa-count\">" + counts[e[0]] + "</td></tr>";
        }
      });
      html += "</table><div class=\"wa-legend-note\">aantal " + esc(D.unitsNoun || "wijken") +
        " per klasse</div>";
      legendDiv.innerHTML = html;
    }

    function redraw() {
      for (var j = 0; j < n; j++) { layers[j].setStyle(styleOf(j)); }
      yearLabel.textContent = String(years[state.year]);
      var ys = dataYears(ind());
      yearsNote.textContent = ys.length === years.length ? "" : ys.length ?
        "Gegevens voor " + ys.map(function (k) { return years[k]; }).join(", ") +
        (ys.indexOf(state.year) < 0 ? "; niet voor " + years[state.year] : "") :
        "Geen gegevens in deze jaren";
      slider.value = String(state.year);
      select.value = String(state.ind);
      drawLegend();
      var tip = group.getTooltip();
      if (tip && tip.isOpen()) { tip.update(); }  // re-runs tooltip() for the new year
      var pop = group.getPopup();
      if (pop && pop.isOpen()) { pop.update(); }
    }

    api.setYear = function (y) { state.year = Math.max(0, Math.min(years.length - 1, y)); redraw(); };
    api.setIndicator = function (k) {
      state.ind = k;
      state.year = yearWithData(ind(), state.year);
      redraw();
    };
    // Play the years one by one (from the first when at the end), then stop.
    api.play = function () {
      if (state.year >= years.length - 1) { api.setYear(0); }
      playButton.innerHTML = "&#10074;&#10074;";
      playButton.title = "Pauzeren";
      timer = setInterval(function () {
        var next = dataYears(ind()).filter(function (k) { return k > state.year; });
        if (!next.length) { api.stop(); return; }
        api.setYear(next[0]);
      }, 1200);
    };
    api.stop = function () {
      if (timer) { clearInterval(timer); timer = null; }
      playButton.innerHTML = "&#9654;";
      playButton.title = "Afspelen";
    };
    api.setIndicatorCode = function (code) { api.setIndicator(byCode[code]); };
    api.tooltipOf = function (code) { return tooltip(layers[D.units.code.indexOf(code)]); };

    redraw();
    C.localise(map);
    C.fitFree(map, api.bounds);  // now that the panels have their size
    C.chooseBasemap(map, basemaps.none, basemaps.online);
    C.markReady(api);
    return api;
  };
})();
