// The tutor beside a practice item: asks POST /api/v1/tutor/messages (the session cookie
// logs the request in), reads the reply as server-sent events from the response body and
// shows each piece as it arrives; links the reply's citations to the course material; hints;
// rates replies (POST /api/v1/tutor/messages/{id}/rating). Setup comes from the page as JSON
// (#tutor-setup). No library, no build step.
"use strict";
(function () {
  var setupNode = document.getElementById("tutor-setup");
  var form = document.getElementById("tutor-form");
  if (!setupNode || !form) return;
  var setup = JSON.parse(setupNode.textContent);
  var T = setup.texts;
  var chat = document.getElementById("chat");
  var input = document.getElementById("tutor-input");
  var askButton = document.getElementById("ask-button");
  var hintButton = document.getElementById("hint-button");
  var status = document.getElementById("tutor-status");
  var conversationId = setup.conversation ? setup.conversation.id : null;
  var busy = false;

  form.hidden = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? values[key] : "{" + key + "}";
    });
  }

  function materialLink(c) {
    var href = "/courses/" + encodeURIComponent(setup.course) + "/materials/" +
      encodeURIComponent(c.material_id) + "?language=" + encodeURIComponent(c.language || "");
    return c.anchor ? href + "#" + encodeURIComponent(c.anchor) : href;
  }

  // The reply's text with each [n] that names a citation turned into a link to it.
  function showText(node, text, citations) {
    node.textContent = "";
    var byNumber = {};
    (citations || []).forEach(function (c) { byNumber[c.n] = c; });
    var parts = text.split(/(\[\d{1,2}\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d{1,2})\]$/.exec(part);
      var c = m && byNumber[Number(m[1])];
      if (c) {
        var sup = el("sup", "cite");
        var a = el("a", null, part);
        a.href = materialLink(c);
        a.title = place(c);
        sup.appendChild(a);
        node.appendChild(sup);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  // "Title › Section" without saying the title twice (a page's first heading repeats it)
  function place(c) {
    var parts = [c.title];
    (c.section || "").split(" › ").forEach(function (part) {
      if (part && parts.indexOf(part) < 0) parts.push(part);
    });
    return parts.join(" › ");
  }

  // the passages a reply cites; passages only consulted are shown unless the reply is the
  // course's own hint, which did not use them
  function sources(citations, authored) {
    var shown = (citations || []).filter(function (c) { return c.material_id; });
    var cited = shown.some(function (c) { return c.cited !== false; });
    if (!shown.length || (authored && !cited)) return null;
    var box = el("div", "sources-box");
    box.appendChild(el("p", "muted sources-title", (cited ? T.sources : T.consulted) + ":"));
    var list = el("ul", "sources");
    shown.forEach(function (c) {
      var li = el("li");
      var a = el("a", null, "[" + c.n + "] " + place(c));
      a.href = materialLink(c);
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  function styleMessage(style) {
    var changes = [];
    if (style.length === "short") changes.push(T["style.short"]);
    if (style.length === "detailed") changes.push(T["style.detailed"]);
    if (style.examples) changes.push(T["style.examples"]);
    if (style.simpler) changes.push(T["style.simpler"]);
    return changes.length ? fill(T.style_now, { changes: changes.join("; ") }) : T.thanks;
  }

  function rating(messageId, existing) {
    var box = el("div", "rating");
    box.appendChild(el("span", "muted", T.rate));
    var yes = el("button", "button secondary small", T.helpful);
    var no = el("button", "button secondary small", T.not_helpful);
    [yes, no].forEach(function (b) { b.type = "button"; b.setAttribute("aria-pressed", "false"); });
    var why = el("span", "why-not");
    why.hidden = true;
    var selectId = "reason-" + messageId;
    var label = el("label", "visually-hidden", T.why_not);
    label.htmlFor = selectId;
    var select = el("select");
    select.id = selectId;
    setup.reasons.forEach(function (r) {
      var option = el("option", null, r[1]);
      option.value = r[0];
      select.appendChild(option);
    });
    var send = el("button", "button small", T.send_rating);
    send.type = "button";
    why.append(label, select, send);
    var said = el("span", "thanks");
    said.setAttribute("role", "status");
    box.append(yes, no, why, said);

    function press(helpful) {
      yes.setAttribute("aria-pressed", String(helpful === true));
      no.setAttribute("aria-pressed", String(helpful === false));
    }

    function rate(helpful, reason) {
      said.textContent = "";
      fetch("/api/v1/tutor/messages/" + messageId + "/rating", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ helpful: helpful, reason: reason || "" }),
      }).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
          press(helpful);
          why.hidden = true;
          said.textContent = helpful ? T.thanks : styleMessage(body);
        });
      }).catch(function (err) {
        said.textContent = fill(T.error, { message: err.message || T.network });
      });
    }

    yes.addEventListener("click", function () { rate(true); });
    no.addEventListener("click", function () {
      press(false);
      why.hidden = false;
      select.focus();
    });
    send.addEventListener("click", function () { rate(false, select.value); });
    if (existing) press(existing.helpful);
    return box;
  }

  function bubble(role, text) {
    var li = el("li", "msg " + role);
    li.appendChild(el("span", "who", role === "user" ? T.you : T.tutor));
    var body = el("div", "text");
    body.textContent = text;
    li.appendChild(body);
    chat.appendChild(li);
    follow();
    return li;
  }

  // keep the latest words in view while they arrive
  function follow() {
    chat.scrollTop = chat.scrollHeight;
  }

  function finish(li, message) {
    showText(li.querySelector(".text"), message.content, message.citations);
    var box = sources(message.citations, message.authored);
    if (box) li.appendChild(box);
    if (message.id) li.appendChild(rating(message.id, message.rating));
    follow();
  }

  function notice(li, text, kind) {
    var p = el("p", "notice " + (kind || "warn"), text);
    li.appendChild(p);
  }

  // server-sent events out of a fetch() body: "event: x\ndata: {...}\n\n"
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var kind = "message";
          var data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) kind = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) onEvent(kind, JSON.parse(data.join("\n")));
        }
        return pump();
      });
    }
    return pump();
  }

  function setBusy(on) {
    busy = on;
    askButton.disabled = on;
    hintButton.disabled = on;
    status.textContent = on ? T.writing : "";
  }

  function ask(mode, message) {
    if (busy) return;
    setBusy(true);
    bubble("user", mode === "hint" ? T.hint_asked : message);
    var li = bubble("assistant", "…");
    li.setAttribute("aria-busy", "true");
    var textNode = li.querySelector(".text");
    var text = "";
    var finished = false;
    var authored = false;
    fetch("/api/v1/tutor/messages", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({
        course_id: setup.course,
        item_id: setup.item,
        mode: mode,
        message: message,
        language: setup.language,
        conversation_id: conversationId,
      }),
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) {
          throw new Error(body.error ? body.error.message : response.statusText);
        }, function () { throw new Error(response.statusText); });
      }
      return readEvents(response, function (kind, data) {
        if (kind === "meta") {
          conversationId = data.conversation_id;
          authored = data.generation && data.model === null; // the course's own words
          if (data.model && data.passages && data.passages.length) {
            // the model reads the prompt for a few seconds on a CPU: say what it is reading
            textNode.textContent = fill(T.reading, {
              sources: data.passages.map(function (p) { return p.title; })
                .filter(function (t, i, all) { return all.indexOf(t) === i; }).join(", "),
            });
          }
        } else if (kind === "token") {
          text += data.text;
          textNode.textContent = text;
          follow();
        } else if (kind === "notice") {
          if (data.kind === "generation_off" || data.kind === "generation_failed") {
            notice(li, data.text);
          }
        } else if (kind === "done") {
          finished = true;
          finish(li, {
            id: data.message_id,
            content: data.content,
            citations: data.citations,
            authored: authored,
          });
        } else if (kind === "error") {
          throw new Error(data.error ? data.error.message : "error");
        }
      });
    }).then(function () {
      if (!finished) throw new Error(T.network);
    }).catch(function (err) {
      if (!text) textNode.textContent = "";
      var message = err && err.message && err.message !== "Failed to fetch" ? err.message : T.network;
      notice(li, fill(T.error, { message: message }), "error");
    }).finally(function () {
      li.removeAttribute("aria-busy");
      setBusy(false);
      input.focus();
    });
  }

  if (setup.conversation) {
    setup.conversation.messages.forEach(function (m) {
      if (m.role === "user") {
        bubble("user", m.mode === "hint" && !m.content ? T.hint_asked : m.content);
      } else {
        m.authored = m.model === "course";
        finish(bubble("assistant", ""), m);
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message) {
      status.textContent = T.empty;
      input.focus();
      return;
    }
    input.value = "";
    ask("answer", message);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  hintButton.addEventListener("click", function () { ask("hint", ""); });

  // after an answer, the result is where the reader (and a screen reader) goes first
  var result = document.getElementById("result");
  if (result) result.focus();
})();
