// similar.js renders the product page's "Similar products" from JSON and
// logs each click through visitrack's tracker/collect (collect.js, loaded
// before this script, defines window.visitrack). The JSON names the list's
// API and labels; the click names them too, with its 0-indexed position.
(function () {
  "use strict";
  var section = document.getElementById("similar");
  if (!section) {
    return;
  }
  fetch(section.dataset.src, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    })
    .then(function (list) {
      if (!list.products || list.products.length === 0) {
        return;
      }
      var ul = section.querySelector("ul");
      list.products.forEach(function (p, i) {
        var a = document.createElement("a");
        a.className = "name";
        a.href = p.url;
        a.textContent = p.name;
        a.dataset.product = p.id;
        a.addEventListener("click", function (event) {
          window.visitrack.follow(event, {product: p.id, api: list.api, labels: list.labels, n: i});
        });
        var img = document.createElement("img");
        img.src = p.picture;
        img.alt = "";
        img.width = 200;
        img.height = 150;
        var category = document.createElement("span");
        category.className = "muted";
        category.textContent = p.category;
        var price = document.createElement("span");
        price.className = "price";
        price.textContent = "€" + p.price;
        var li = document.createElement("li");
        li.className = "card";
        li.append(img, a, category, document.createElement("br"), price);
        ul.append(li);
      });
      section.hidden = false;
      section.dataset.rendered = "true";
    })
    .catch(function () {}); // without the list, the page still works
})();
