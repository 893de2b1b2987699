/* wijkatlas: the boundary-change map. Each version is a base layer (toggle); units that
 * changed between the versions are highlighted; the other version's outline is drawn over the
 * chosen one (dashed), so both divisions can be compared at a glance. */
(function () {
  "use strict";
  var C = window.wijkatlasCommon, esc = C.esc;
  var LINEAGE = {
    "new": "nieuw", unchanged: "ongewijzigd", reshaped: "grens gewijzigd",
    split_from: "afgesplitst van", merged_from: "samengevoegd uit", renamed_from: "hernoemd van"
  };
  var CHANGED = "#e66101", SAME = "#b2abd2";

  /** One status line per unit that never contradicts itself. The first version on the map
   * has no parent here: its lineage ("new") is not shown; it says whether the unit changed in
   * the next version. A later version says how the unit came about. */
  function statusText(D, v, j) {
    var V = D.versions[v], lineage = V.lineage[j], next = D.versions[v + 1];
    if (v === 0) {
      return V.changed[j] && next ? "gewijzigd in de " + esc(next.name) :
        (next ? "ongewijzigd in de " + esc(next.name) : "");
    }
    // The lineage in words from the engine (from where to where land moved, how much),
    // else the short form.
    var text = V.text && V.text[j] && lineage !== "unchanged" ? esc(V.text[j]) :
      esc(LINEAGE[lineage] || lineage);
    if (!(V.text && V.text[j]) && V.parents[j] && lineage !== "unchanged" &&
        lineage !== "new") {
      text += " " + esc(V.parents[j]);
    }
    if (lineage === "unchanged" && V.changed[j] && next) {
      text += "; gewijzigd in de " + esc(next.name);
    }
    return text;
  }

  window.wijkatlasBoundaries = function (map, dataId, basemaps) {
    var D = C.data(dataId), api = { map: map, data: D, ready: false, layers: {} };
    window.wijkatlas = api;
    var phone = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    // A radio control of its own: the versions must not share one with the basemaps.
    var control = L.control.layers({}, {}, { collapsed: phone, position: "topright" });
    var newest = null, bounds = null;
    D.versions.forEach(function (V, v) {
      var shapes = C.decode(V.geom), group = L.featureGroup();
      shapes.forEach(function (shape, j) {
        var layer = L.polygon(shape, {
          className: "wijk", color: "#333", weight: 1.5,
          fillColor: V.changed[j] ? CHANGED : SAME, fillOpacity: V.changed[j] ? 0.75 : 0.35
        });
        var status = statusText(D, v, j);
        layer.bindTooltip("<b class=\"wa-name\">" + esc(V.name_[j]) + "</b> (" +
          esc(V.code[j]) + ")<br>" + esc(V.name) + (status ? ": " + status : ""),
          { sticky: true, className: "wa-tooltip" });
        layer.unitCode = V.code[j];
        group.addLayer(layer);
      });
      var outline = L.featureGroup(shapes.map(function (shape) {
        return L.polygon(shape, { color: "#000", weight: 2, dashArray: "5 4", fill: false,
          interactive: false });
      }));
      group.versionIndex = v;
      api.layers[V.id] = { units: group, outline: outline };
      control.addBaseLayer(group, esc(V.name));
      control.addOverlay(outline, "Grenzen " + esc(V.name) + " (stippellijn)");
      if (v === D.versions.length - 1) {
        newest = group;
        bounds = group.getBounds();
      }
    });

    function markCodes(group) {
      group.eachLayer(function (l) {
        if (l.getElement && l.getElement()) { l.getElement().setAttribute("data-code", l.unitCode); }
      });
    }

    /** Show the other version's outline over the chosen one: the previous version's, or for
     * the first version the next one's. */
    function showOtherOutline(v) {
      var other = v > 0 ? v - 1 : v + 1;
      D.versions.forEach(function (V, k) {
        var outline = api.layers[V.id].outline;
        if (k === other) {
          if (!map.hasLayer(outline)) { map.addLayer(outline); }
          outline.bringToFront();
        } else if (map.hasLayer(outline)) {
          map.removeLayer(outline);
        }
      });
      api.version = D.versions[v].id;
      api.outline = D.versions[other] ? D.versions[other].id : null;
    }

    newest.addTo(map);
    control.addTo(map);
    markCodes(newest);
    showOtherOutline(D.versions.length - 1);
    map.on("baselayerchange", function (e) {
      // The basemap control fires this too, with a tile layer: only versions are handled.
      if (e.layer && typeof e.layer.versionIndex === "number") {
        markCodes(e.layer);
        showOtherOutline(e.layer.versionIndex);
      }
    });
    map.fitBounds(bounds, { animate: false });
    map.attributionControl.addAttribution(esc(D.credit));
    C.titleControl(map, D.title, "Oranje: gewijzigde wijken", basemaps.pages);
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "wa-panel wa-legend");
      div.innerHTML = "<table><tr><td><i class=\"wa-swatch wa-changed\"></i></td>" +
        "<td>gewijzigd (gesplitst, samengevoegd, nieuw of grens verlegd)</td></tr>" +
        "<tr><td><i class=\"wa-swatch wa-same\"></i></td><td>ongewijzigd</td></tr>" +
        "<tr><td><i class=\"wa-swatch wa-outline\"></i></td><td>grenzen van de andere " +
        "wijkindeling</td></tr></table>" +
        "<div class=\"wa-legend-note\">Kies de wijkindeling rechtsboven.</div>";
      return div;
    };
    legend.addTo(map);
    C.localise(map);
    C.chooseBasemap(map, basemaps.none, basemaps.online);
    C.markReady(api);
    return api;
  };
})();
