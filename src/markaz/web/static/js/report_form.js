/* New report: ALL versus chosen members, and observations added by clicking the map. */
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("form-config").textContent);
  const all = document.getElementById("release-all");
  const ones = document.querySelectorAll(".release-one");
  all.addEventListener("change", function () {
    if (all.checked) { ones.forEach(function (cb) { cb.checked = false; }); }
  });
  ones.forEach(function (cb) {
    cb.addEventListener("change", function () { if (cb.checked) { all.checked = false; } });
  });

  const map = window.markaz.smallMap("report-map", [34.5, 42.5], 5);
  const list = document.getElementById("obs-list");
  const form = document.getElementById("report-form");
  const categorySelect = document.getElementById("obs-category");

  function addPoint(category, lon, lat) {
    const li = document.createElement("li");
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "obs";
    input.value = category + "|" + lon.toFixed(5) + "|" + lat.toFixed(5);
    form.appendChild(input);
    const marker = L.marker([lat, lon], { icon: window.markaz.symbolIcon(category) }).addTo(map);
    li.textContent = (config.categories[category] || category) + " · " + lat.toFixed(4) + ", " + lon.toFixed(4) + " ";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "remove");
    remove.addEventListener("click", function () { input.remove(); map.removeLayer(marker); li.remove(); });
    li.appendChild(remove);
    list.appendChild(li);
  }
  // Points kept from a refused submission come back as data attributes.
  Array.prototype.slice.call(list.querySelectorAll("li[data-obs]")).forEach(function (li) {
    const parts = li.getAttribute("data-obs").split("|");
    li.remove();
    if (parts.length === 3) { addPoint(parts[0], Number(parts[1]), Number(parts[2])); }
  });
  map.on("click", function (e) {
    addPoint(categorySelect.value, e.latlng.wrap().lng, e.latlng.lat);
  });
})();
