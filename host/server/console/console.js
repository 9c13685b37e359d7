// Drydock console: the one script. Pages work without it; it adds two things.
// 1. Live regions: an element with data-live-events="<SSE url>" follows that API stream (the session cookie
//    is accepted on the API's GET routes); on any event the page is fetched again and every
//    [data-live-region] element with an id is replaced by its new version. A region the person is typing
//    in is left alone until they leave it. An element with id="live-status" says whether it is following.
// 2. Confirmation: a form with data-confirm="<question>" asks before it is sent.
"use strict";
(function () {
  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (text) {
          if (!text) return;
          var doc = new DOMParser().parseFromString(text, "text/html");
          document.querySelectorAll("[data-live-region][id]").forEach(function (region) {
            var fresh = doc.getElementById(region.id);
            if (!fresh) return;
            var active = document.activeElement;
            if (active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
              refresh();
              return;
            }
            region.replaceWith(fresh);
          });
          document.dispatchEvent(new CustomEvent("drydock:refreshed"));
        })
        .catch(function () {});
    }, 250);
  }
  // Streams are read with fetch, not EventSource: any event of any name means "something changed", and
  // EventSource only reports the names it was told. Reconnects with a growing pause if the stream ends.
  function follow(url, status, pause) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/event-stream" } })
      .then(function (r) {
        if (!r.ok || !r.body) throw new Error("stream refused: " + r.status);
        if (status) status.textContent = "Following live.";
        var reader = r.body.getReader();
        var decoder = new TextDecoder();
        pause = 1000;
        function read() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error("stream ended");
            var text = decoder.decode(chunk.value, { stream: true });
            if (/(^|\n)(data|event):/.test(text)) refresh();
            return read();
          });
        }
        return read();
      })
      .catch(function () {
        if (status) status.textContent = "Live updates paused; reconnecting (or reload the page).";
        setTimeout(function () { follow(url, status, Math.min(pause * 2, 30000)); }, pause);
      });
  }
  document.querySelectorAll("[data-live-events]").forEach(function (el) {
    if (!window.fetch || !window.ReadableStream) return;
    follow(el.getAttribute("data-live-events"), document.getElementById("live-status"), 1000);
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
