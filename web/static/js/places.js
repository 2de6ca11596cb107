/* The town search of the registration, settings and locations pages.

   A box marked data-place-search (hidden until this script runs, so without JavaScript the
   form is typed as before) asks the app's own /places/search while the patient types, shows
   the towns found, and fills the fields it names (data-latitude, data-longitude,
   data-timezone, data-label: element ids) with the town picked. Decimal coordinates can still
   be typed. An empty timezone field is pre-filled with the browser's own timezone. Nothing
   is sent anywhere but this site. */
(function () {
  "use strict";
  var DELAY_MS = 200;
  var MIN_LENGTH = 2;

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function put(input, value) {
    if (!input) {
      return;
    }
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function where(place) {
    return [place.region, place.country].filter(Boolean).join(", ");
  }

  function setup(box) {
    var url = box.getAttribute("data-url");
    var fields = {
      latitude: byId(box.getAttribute("data-latitude")),
      longitude: byId(box.getAttribute("data-longitude")),
      timezone: byId(box.getAttribute("data-timezone")),
      label: byId(box.getAttribute("data-label")),
    };
    var input = box.querySelector("input[type=search]");
    var list = box.querySelector("[role=listbox]");
    var status = box.querySelector("[role=status]");
    var places = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var labelWeSet = null;

    box.hidden = false;
    if (fields.timezone && !fields.timezone.value.trim()) {
      fields.timezone.value = browserZone();
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      places = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function option(place, index) {
      var item = document.createElement("li");
      item.id = "place-option-" + index;
      item.className = "place-option";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      var name = document.createElement("strong");
      name.textContent = place.name;
      item.appendChild(name);
      item.appendChild(document.createTextNode(", " + where(place)));
      var more = document.createElement("small");
      var notes = [];
      if (place.also_known_as) {
        notes.push("also called " + place.also_known_as);
      }
      notes.push(place.latitude.toFixed(2) + ", " + place.longitude.toFixed(2));
      notes.push(place.timezone || "timezone not known");
      more.textContent = notes.join(" · ");
      item.appendChild(more);
      item.addEventListener("click", function () {
        choose(index);
      });
      return item;
    }

    function show(found) {
      close();
      places = found;
      if (!found.length) {
        status.textContent = "No town of over 15,000 people starts with that name. " +
          "You can type the coordinates below.";
        return;
      }
      found.forEach(function (place, i) {
        list.appendChild(option(place, i));
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = found.length + (found.length === 1 ? " town" : " towns") +
        " found; pick one.";
    }

    function choose(index) {
      var place = places[index];
      if (!place) {
        return;
      }
      close();
      input.value = place.label;
      put(fields.latitude, String(place.latitude));
      put(fields.longitude, String(place.longitude));
      if (place.timezone) {
        put(fields.timezone, place.timezone);
      }
      if (fields.label && (!fields.label.value || fields.label.value === labelWeSet)) {
        labelWeSet = place.name;
        put(fields.label, place.name);
      }
      var filled = [];
      if (fields.latitude) {
        filled.push("latitude " + place.latitude + ", longitude " + place.longitude);
      }
      filled.push(place.timezone && fields.timezone ? "timezone " + place.timezone
        : "timezone not known: please type it");
      status.textContent = place.label + ": " + filled.join("; ") + ".";
    }

    function search() {
      var query = input.value.trim();
      var ticket = ++asked;
      if (query.length < MIN_LENGTH) {
        close();
        status.textContent = "";
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      }).then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      }).then(function (data) {
        if (ticket === asked) {
          show(data.places || []);
        }
      }).catch(function () {
        if (ticket === asked) {
          close();
          status.textContent = "The town search is not available just now; " +
            "you can type the coordinates below.";
        }
      });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && places.length > 0;
      if (event.key === "ArrowDown" && open) {
        event.preventDefault();
        mark(Math.min(active + 1, places.length - 1));
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        mark(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        event.preventDefault(); /* the search box never submits the form */
        if (open) {
          choose(active >= 0 ? active : 0);
        }
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    /* Keep the focus in the box while an option is pressed, so the click lands on it. */
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    input.addEventListener("blur", function () {
      setTimeout(function () {
        if (document.activeElement !== input) {
          list.hidden = true;
          input.setAttribute("aria-expanded", "false");
        }
      }, 0);
    });
    input.addEventListener("focus", function () {
      if (places.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    });
  }

  document.querySelectorAll("[data-place-search]").forEach(setup);
})();
