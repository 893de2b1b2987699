/* wijkatlas: the boundary-change map. Each version is a base layer (toggle); units that
 * changed between the versions are highlighted; the other version's outline can be shown. */
(function () {
  "use strict";
  var C = window.wijkatlasCommon, esc = C.esc;
  var LINEAGE = {
    "new": "nieuw", unchanged: "ongewijzigd", reshaped: "grens gewijzigd",
    split_from: "afgesplitst van", merged_from: "samengevoegd uit", renamed_from: "hernoemd van"
  };
  var CHANGED = "#e66101", SAME = "#b2abd2";

  window.wijkatlasBoundaries = function (map, dataId, basemaps) {
    var D = C.data(dataId), api = { map: map, data: D, ready: false, layers: {} };
    window.wijkatlas = api;
    // A radio control of its own: the versions must not share one with the basemaps.
    var control = L.control.layers({}, {}, { collapsed: false, position: "topright" });
    var first = null, bounds = null;
    D.versions.forEach(function (V, v) {
      var shapes = C.decode(V.geom), group = L.featureGroup();
      shapes.forEach(function (shape, j) {
        var layer = L.polygon(shape, {
          className: "wijk", color: "#333", weight: 1.5,
          fillColor: V.changed[j] ? CHANGED : SAME, fillOpacity: V.changed[j] ? 0.75 : 0.35
        });
        var parents = V.parents[j] && V.lineage[j] !== "unchanged" && V.lineage[j] !== "new" ?
          " " + V.parents[j] : "";
        var how = V.text && V.text[j] ? V.text[j] : (LINEAGE[V.lineage[j]] || V.lineage[j]) +
          parents;
        layer.bindTooltip("<b>" + esc(V.name_[j]) + "</b> (" + esc(V.code[j]) + ")<br>" +
          esc(V.name) + ": " + esc(how) +
          (V.changed[j] ? "<br><b>gewijzigd</b>" : ""), { sticky: true });
        layer.unitCode = V.code[j];
        group.addLayer(layer);
      });
      var outline = L.featureGroup(shapes.map(function (shape) {
        return L.polygon(shape, { color: "#000", weight: 2, dashArray: "5 4", fill: false,
          interactive: false });
      }));
      api.layers[V.id] = { units: group, outline: outline };
      control.addBaseLayer(group, esc(V.name));
      control.addOverlay(outline, "Grenzen " + esc(V.name) + " (stippellijn)");
      if (v === D.versions.length - 1) {
        first = group;
        bounds = group.getBounds();
      }
    });
    // Start with the newest version, the oldest one's outline over it.
    first.addTo(map);
    control.addTo(map);
    D.versions.forEach(function (V) {
      var el = map.hasLayer(api.layers[V.id].units);
      api.layers[V.id].units.eachLayer(function (l) {
        if (el) { l.getElement().setAttribute("data-code", l.unitCode); }
      });
    });
    map.on("baselayerchange", function (e) {
      if (!e.layer.eachLayer) { return; }  // a basemap, not a wijkindeling
      e.layer.eachLayer(function (l) {
        if (l.getElement && l.getElement()) { l.getElement().setAttribute("data-code", l.unitCode); }
      });
    });
    api.layers[D.versions[0].id].outline.addTo(map);
    map.fitBounds(bounds, { animate: false });
    map.attributionControl.addAttribution(esc(D.credit));
    C.titleControl(map, D.title, "Oranje: gewijzigde wijken", basemaps.pages);
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "wa-panel wa-legend");
      div.innerHTML = "<table><tr><td><i class=\"wa-swatch wa-changed\"></i></td>" +
        "<td>gewijzigd (gesplitst, samengevoegd, nieuw of grens verlegd)</td></tr>" +
        "<tr><td><i class=\"wa-swatch wa-same\"></i></td><td>ongewijzigd</td></tr></table>" +
        "<div class=\"wa-legend-note\">Kies de wijkindeling rechtsboven.</div>";
      return div;
    };
    legend.addTo(map);
    C.chooseBasemap(map, basemaps.none, basemaps.online);
    C.markReady(api);
    return api;
  };
})();
