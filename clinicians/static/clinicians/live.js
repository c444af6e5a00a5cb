/* ToxWatch live queue: no build, no framework.

   Listens to the staff event stream (body[data-live-url], clinicians/live.py). The database
   is the source of truth: an event only says "alert N changed" (ids, level, what happened),
   so on every event, and on every (re)connection, the page re-fetches its queue fragment.
   A new or raised RED also marks the tab title until the page gets attention, and shows a
   desktop notification when the nurse has allowed them. Other scripts can listen for the
   "toxwatch:push" event on document (detail: {push, alert, level, reason}). */
(function () {
  "use strict";

  var body = document.body;
  var status = document.getElementById("live-status");
  if (!body || !body.dataset.liveUrl || !status || !window.EventSource) {
    return;
  }
  var notifyButton = document.getElementById("live-notify");
  var baseTitle = document.title;
  var unseenRed = 0;
  var lastId = null;  // the last event id received: resumes a stream we reopen ourselves
  var seen = new Set();  // push ids already announced (a replay must not notify twice)
  var source = null;
  var closedRetries = 0;

  // --- connection status (role="status" + aria-live in the template) -----------------------

  var LABELS = {
    connecting: "Connecting to live updates…",
    live: "Live",
    reconnecting: "Reconnecting… (the queue may be out of date)",
  };

  function setStatus(state) {
    if (status.dataset.state === state) {
      return;
    }
    status.dataset.state = state;
    status.textContent = LABELS[state];
  }

  // --- the queue: re-read from the server --------------------------------------------------

  var refreshing = null;
  var refreshAgain = false;

  function queueUrl(queue) {
    // The fragment with the filters and page the nurse is on now (htmx pushes them to the URL).
    var url = new URL(queue.dataset.fragmentUrl, window.location.href);
    url.search = window.location.search;
    return url;
  }

  function editing(queue) {
    var active = document.activeElement;
    return active && queue.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function refreshQueue() {
    var queue = document.getElementById("queue");
    if (!queue || !queue.dataset.fragmentUrl) {
      return;
    }
    if (refreshing) {  // one fetch at a time; a burst of events is one more fetch
      refreshAgain = true;
      return;
    }
    if (editing(queue)) {  // never swap a field out from under the nurse: wait until they leave it
      queue.addEventListener("focusout", refreshQueue, { once: true });
      return;
    }
    refreshing = fetch(queueUrl(queue), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok || response.status === 400 ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        swapQueue(queue, html);
      })
      .catch(function () {
        /* the next event or reconnection re-fetches */
      })
      .finally(function () {
        refreshing = null;
        if (refreshAgain) {
          refreshAgain = false;
          refreshQueue();
        }
      });
  }

  function swapQueue(queue, html) {
    var fresh = document.createElement("template");
    fresh.innerHTML = html;
    var counts = fresh.content.getElementById("queue-counts");
    if (counts) {  // the counts travel with the list (hx-swap-oob): put them in their place
      counts.remove();
      counts.removeAttribute("hx-swap-oob");
      var current = document.getElementById("queue-counts");
      if (current) {
        current.replaceWith(counts);
      }
    }
    queue.replaceChildren(fresh.content);
    if (window.htmx) {
      window.htmx.process(queue);
    }
  }

  // --- a new RED: tab title and desktop notification ---------------------------------------

  function markRed() {
    unseenRed += 1;
    document.title = "(" + unseenRed + ") RED - " + baseTitle;
  }

  function attended() {
    if (unseenRed) {
      unseenRed = 0;
      document.title = baseTitle;
    }
  }

  function notifyDesktop(push) {
    if (!("Notification" in window) || Notification.permission !== "granted") {
      return;
    }
    // Ids only: no patient data leaves the page.
    var note = new Notification("ToxWatch: new RED alert", {
      body: "Alert #" + push.alert + " needs a nurse within the hour. Open the queue.",
      tag: "toxwatch-alert-" + push.alert,
    });
    note.onclick = function () {
      window.focus();
      note.close();
    };
  }

  function onPush(push) {
    document.dispatchEvent(new CustomEvent("toxwatch:push", { detail: push }));
    if (seen.has(push.push)) {
      return;
    }
    seen.add(push.push);
    var isNew = push.reason === "opened" || push.reason === "raised";
    if (push.level === "red" && isNew) {
      markRed();
      notifyDesktop(push);
    }
  }

  window.addEventListener("focus", attended);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && document.hasFocus()) {
      attended();
    }
  });
  document.addEventListener("pointerdown", attended);
  document.addEventListener("keydown", attended);

  // Permission must be asked from a user gesture: the button.
  function showNotifyButton() {
    if (!notifyButton) {
      return;
    }
    notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  if (notifyButton) {
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(showNotifyButton);
    });
    showNotifyButton();
  }

  // --- the stream ---------------------------------------------------------------------------

  function connect() {
    var url = new URL(body.dataset.liveUrl, window.location.href);
    if (lastId !== null) {
      url.searchParams.set("after", lastId);
    }
    source = new EventSource(url);
    source.addEventListener("open", function () {
      closedRetries = 0;
      setStatus("live");
      refreshQueue();  // whatever happened while we were away
    });
    source.addEventListener("alert", function (event) {
      lastId = event.lastEventId;
      var data = JSON.parse(event.data);
      onPush({ push: Number(event.lastEventId), alert: data.alert, level: data.level, reason: data.reason });
      refreshQueue();
    });
    source.addEventListener("resync", function (event) {
      lastId = event.lastEventId;  // too much was missed to replay: re-read everything
      refreshQueue();
    });
    source.addEventListener("error", function () {
      setStatus("reconnecting");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a proxy answered 502 during a deploy): reopen ourselves,
        // from the last event received, backing off up to a minute.
        source = null;
        closedRetries += 1;
        window.setTimeout(connect, Math.min(60, 3 * closedRetries) * 1000);
      }
    });
  }

  setStatus("connecting");
  connect();
})();
