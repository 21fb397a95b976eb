// A conversation, live: the socket /ws/chat/<id> (signed in by the session cookie) with the frames of API.md
// "Chat". Until it is open, or if it cannot open, the forms post as usual and the page reloads.
(function () {
  "use strict";
  var box = document.getElementById("chat");
  var form = document.getElementById("send");
  if (!box || !form || !box.dataset.socketPath || !window.WebSocket || !window.fetch) { return; }
  var config = box.dataset;
  var list = document.getElementById("chat-messages");
  var empty = document.getElementById("chat-empty");
  var status = document.getElementById("chat-status");
  var error = document.getElementById("send-error");
  var textarea = form.querySelector("textarea");
  var socket = null;
  var retries = 0;
  var pending = [];  // message frames not acknowledged yet, oldest first; sent again after a reconnect
  var readUpTo = null;  // the patient's latest message, reported read once the page is visible
  var clock = new Intl.DateTimeFormat("en-CA", {timeZone: config.timezone, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});

  function localTime(iso) {
    var parts = {};
    clock.formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text) { element.textContent = text; }
    return element;
  }

  // The markup of portal/_message.html, built from a message payload with textContent only.
  function render(message) {
    var mine = message.sender_id === config.userId;
    var item = node("li", "msg " + (mine ? "mine" : "theirs"));
    item.id = "m-" + message.id;
    item.dataset.id = message.id;
    var meta = item.appendChild(node("p", "meta"));
    meta.appendChild(node("span", "who", mine ? config.labelYou : config.patientName));
    meta.appendChild(node("time", null, localTime(message.created_at))).dateTime = message.created_at;
    if (mine) {
      meta.appendChild(node("span", message.read_at ? "receipt read" : "receipt",
                            message.read_at ? config.labelRead : config.labelSent));
    }
    if (message.body) { item.appendChild(node("p", "body", message.body)); }
    if (message.attachment) {
      var link = item.appendChild(node("p", "file")).appendChild(node("a", null, message.attachment.name));
      link.href = config.attachmentBase + message.id + "/";
    }
    return item;
  }

  function timeOf(item) { return Date.parse(item.querySelector("time").dateTime); }

  function markReceipt(item) {
    var receipt = item.querySelector(".receipt");
    if (receipt) { receipt.textContent = config.labelRead; receipt.classList.add("read"); }
  }

  // In time order; a message already on the page only takes a newer read receipt. True if added.
  function insert(item) {
    var shown = document.getElementById(item.id);
    if (shown) {
      if (item.querySelector(".receipt.read")) { markReceipt(shown); }
      return false;
    }
    var previous = list.lastElementChild;
    while (previous && timeOf(previous) > timeOf(item)) { previous = previous.previousElementSibling; }
    list.insertBefore(item, previous ? previous.nextSibling : list.firstChild);
    if (empty) { empty.hidden = true; }
    return true;
  }

  function isOpen() { return socket !== null && socket.readyState === WebSocket.OPEN; }

  function reportRead() {
    if (readUpTo && !document.hidden && isOpen()) {
      socket.send(JSON.stringify({type: "read", up_to: readUpTo}));
      readUpTo = null;
    }
  }

  function show(message) {
    var atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (insert(render(message)) && atEnd) { box.scrollTop = box.scrollHeight; }
    if (message.sender_id !== config.userId) {
      readUpTo = message.id;
      reportRead();
    }
  }

  // The patient read the doctor's messages up to `upTo`: the page is in time order, and an id not on it is newer.
  function showRead(upTo) {
    for (var item = list.firstElementChild; item; item = item.nextElementSibling) {
      markReceipt(item);
      if (item.dataset.id === upTo) { return; }
    }
  }

  function settle(clientId) {
    pending = pending.filter(function (frame) { return frame.client_id !== clientId; });
  }

  // Frames are handled in order on the server, so an error answers the oldest send still waiting.
  function fail(detail) {
    var failed = pending.shift();
    if (failed && !textarea.value) { textarea.value = failed.body; }
    error.textContent = detail;
    error.hidden = false;
  }

  function receive(frame) {
    if (frame.type === "message") {
      if (frame.message.sender_id === config.userId) { settle(frame.message.client_id); }
      show(frame.message);
    } else if (frame.type === "ack") {
      settle(frame.client_id);
    } else if (frame.type === "read" && frame.reader_id !== config.userId) {
      showRead(frame.up_to);
    } else if (frame.type === "error") {
      fail(frame.detail);
    }
  }

  // What was sent while no socket was open (before the first one, too): the server's page, parsed inert
  // (DOMParser runs no script; the template escaped every value) and merged by message id.
  function catchUp() {
    fetch(window.location.href, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("chat-messages");
        if (!fresh) { return; }
        Array.prototype.forEach.call(fresh.children, function (item) { insert(document.importNode(item, true)); });
      })
      .catch(function () {});
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + config.socketPath);
    socket.onopen = function () {
      retries = 0;
      box.dataset.state = "open";
      status.textContent = config.labelLive;
      pending.forEach(function (frame) { socket.send(JSON.stringify(frame)); });
      catchUp();
      reportRead();
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (notJson) { return; }
      receive(frame);
    };
    socket.onclose = function (event) {
      box.dataset.state = "closed";
      status.textContent = config.labelOffline;
      // Signed out (4401) or not a participant (4403): retrying cannot help; the forms show why.
      if (event.code === 4401 || event.code === 4403) { return; }
      var delay = Math.min(30, Math.pow(2, retries)) * 1000 * (0.5 + Math.random() / 2);
      retries += 1;
      window.setTimeout(connect, delay);
    };
  }

  function newClientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  form.addEventListener("submit", function (event) {
    if (!isOpen()) { return; }
    event.preventDefault();
    var frame = {type: "message", body: textarea.value, client_id: newClientId()};
    pending.push(frame);
    socket.send(JSON.stringify(frame));
    textarea.value = "";
    error.hidden = true;
  });
  document.addEventListener("visibilitychange", reportRead);
  box.scrollTop = box.scrollHeight;
  connect();
})();
