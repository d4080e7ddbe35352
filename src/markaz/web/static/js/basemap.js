/* The offline basemap (borders from markaz) for the small maps of the report pages. */
"use strict";
window.markaz = window.markaz || {};
window.markaz.smallMap = function (elementId, center, zoom) {
  const map = L.map(elementId, { boxZoom: false, maxZoom: 18, minZoom: 2 }).setView(center, zoom);
  map.attributionControl.setPrefix(false);
  fetch("/basemap/countries.geojson").then(function (r) { return r.json(); }).then(function (data) {
    L.geoJSON(data, {
      interactive: false,
      style: { color: "#6b6b6b", weight: 1, fillColor: "#f4f1e8", fillOpacity: 1 },
    }).addTo(map).bringToBack();
  });
  return map;
};
window.markaz.symbolIcon = function (category) {
  return L.divIcon({ className: "marker-symbol symbol cat-" + category, iconSize: [18, 18] });
};
