// Live cells for lesson and exercise pages: editors, the kernel socket, outputs, exercises.
// No build step and no framework: htmx does the form round-trips (Run tests, Submit, progress),
// this file does what htmx cannot: a websocket to the learner's kernel and live rendering.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // ---- editors: a transparent textarea over a Pygments-highlighted <pre> -------------------
  function setupEditor(editor) {
    var area = editor.querySelector("textarea");
    var code = editor.querySelector("pre code");
    var timer = null;
    editingKeys(area);
    area.addEventListener("input", function () {
      code.textContent = area.value + "\n";
      clearTimeout(timer);
      timer = setTimeout(function () { highlight(area, code); }, 180);
    });
  }

  // ---- editing keys: Python wants indentation; Escape then Tab still leaves the editor ----
  var INDENT = "    ";

  function replaceSelection(area, text, selectFrom, selectTo) {
    // insertText keeps the browser's undo history; setRangeText is the fallback.
    if (!document.execCommand("insertText", false, text)) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    if (selectFrom !== undefined) { area.setSelectionRange(selectFrom, selectTo); }
  }

  function lineStart(value, position) { return value.lastIndexOf("\n", position - 1) + 1; }

  function indentLines(area, outdent) {
    var value = area.value;
    var from = lineStart(value, area.selectionStart);
    var to = area.selectionEnd;
    var lines = value.slice(from, to).split("\n");
    var changed = lines.map(function (line) {
      if (!outdent) { return INDENT + line; }
      return line.replace(/^ {1,4}/, "");
    }).join("\n");
    area.setSelectionRange(from, to);
    replaceSelection(area, changed, from, from + changed.length);
  }

  function editingKeys(area) {
    var leaving = false;
    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { leaving = true; return; }
      if (event.key === "Tab" && !leaving && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        var multiLine = area.value.slice(area.selectionStart, area.selectionEnd).indexOf("\n") >= 0;
        if (event.shiftKey || multiLine) { indentLines(area, event.shiftKey); }
        else { replaceSelection(area, INDENT); }
      } else if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        var value = area.value;
        var start = lineStart(value, area.selectionStart);
        var line = value.slice(start, area.selectionStart);
        var indent = line.match(/^\s*/)[0] + (/:\s*$/.test(line) ? INDENT : "");
        replaceSelection(area, "\n" + indent);
      }
      if (event.key !== "Escape") { leaving = false; }
    });
  }

  function highlight(area, code) {
    var source = area.value;
    fetch("/highlight", {
      method: "POST",
      headers: { "Content-Type": "text/plain; charset=utf-8", "X-CSRF-Token": csrfToken() },
      body: source,
      credentials: "same-origin",
    }).then(function (answer) {
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      // Pygments ends the code with a newline; a final newline of the code needs one more.
      if (html !== null && area.value === source) {
        code.innerHTML = html + (source.endsWith("\n") ? "\n" : "");
      }
    }).catch(function () { /* highlighting is cosmetic */ });
  }

  // ---- the kernel socket ---------------------------------------------------------------
  function Kernel(url, badge) {
    this.url = url;
    this.badge = badge;
    this.runs = new Map();
    this.outbox = [];
    this.onRestarted = [];
    this.retry = 250;
    this.nextRun = 1;
    this.connect();
  }

  Kernel.prototype.connect = function () {
    var self = this;
    var socket = new WebSocket(this.url);
    this.socket = socket;
    this.status("connecting");
    socket.onopen = function () {
      self.retry = 250;
      self.outbox.splice(0).forEach(function (msg) { socket.send(msg); });
    };
    socket.onmessage = function (event) { self.dispatch(JSON.parse(event.data)); };
    socket.onclose = function () {
      self.status("disconnected");
      self.runs.forEach(function (run) {
        run.onEvent({ type: "done", status: "aborted", ms: null, count: null });
      });
      self.runs.clear();
      setTimeout(function () { self.connect(); }, self.retry);
      self.retry = Math.min(self.retry * 2, 8000);
    };
  };

  Kernel.prototype.status = function (state) {
    if (!this.badge) { return; }
    this.badge.dataset.state = state;
    this.badge.textContent = "kernel: " + state;
    document.documentElement.dataset.kernel = state;
  };

  Kernel.prototype.send = function (message) {
    var text = JSON.stringify(message);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) { this.socket.send(text); }
    else { this.outbox.push(text); }
  };

  Kernel.prototype.dispatch = function (message) {
    if (message.type === "status") { this.status(message.state); return; }
    if (message.type === "restarted") {
      this.onRestarted.splice(0).forEach(function (callback) { callback(); });
      return;
    }
    var run = this.runs.get(message.run);
    if (message.type === "failure") {
      showNotice(message.message);
      if (run) {
        run.onEvent({ type: "error", ename: "KernelError", evalue: message.message, traceback: [] });
        run.onEvent({ type: "done", status: "error", ms: null, count: null });
        this.runs.delete(message.run);
      }
      return;
    }
    if (message.type === "output" && run) {
      run.onEvent(message.event);
      if (message.event.type === "done") { this.runs.delete(message.run); }
    }
  };

  Kernel.prototype.execute = function (code, onEvent) {
    var self = this;
    var id = "r" + this.nextRun++;
    return new Promise(function (resolve) {
      self.runs.set(id, {
        onEvent: function (event) {
          onEvent(event);
          if (event.type === "done") { resolve(event); }
        },
      });
      self.send({ op: "execute", run: id, code: code });
    });
  };

  Kernel.prototype.restart = function () {
    var self = this;
    return new Promise(function (resolve) {
      self.onRestarted.push(resolve);
      self.send({ op: "restart" });
    });
  };

  // ---- outputs (mirrors grader/web/rendering.py so stored and live outputs look alike) ----
  function renderBundle(data) {
    if (data["text/html"] !== undefined) {
      var frame = document.createElement("iframe");
      frame.className = "out out-html";
      frame.setAttribute("sandbox", "allow-same-origin");
      frame.title = "cell output";
      frame.srcdoc = data["text/html"];
      frame.addEventListener("load", function () { fitFrame(frame); });
      return frame;
    }
    var images = ["image/svg+xml", "image/png", "image/jpeg"];
    for (var i = 0; i < images.length; i++) {
      if (data[images[i]] !== undefined) {
        var img = document.createElement("img");
        img.className = "out out-image";
        img.alt = "cell output";
        var payload = images[i] === "image/svg+xml"
          ? btoa(unescape(encodeURIComponent(data[images[i]]))) : data[images[i]];
        img.src = "data:" + images[i] + ";base64," + payload;
        return img;
      }
    }
    var text = data["text/markdown"] !== undefined && data["text/plain"] === undefined
      ? data["text/markdown"] : data["text/plain"];
    var pre = document.createElement("pre");
    pre.className = "out out-result";
    pre.textContent = text === undefined ? "" : text;
    return pre;
  }

  function fitFrame(frame) {
    try {
      frame.style.height = "0px";  // measure the content, not the frame's default 150px
      frame.style.height = (frame.contentDocument.documentElement.scrollHeight + 4) + "px";
    } catch (e) {
      frame.style.height = "";  // unreadable: keep the default height
    }
  }

  function appendEvent(outputs, event) {
    if (event.type === "stream") {
      var last = outputs.lastElementChild;
      var cls = "out out-" + (event.name === "stderr" ? "stderr" : "stdout");
      if (last && last.className === cls) { last.textContent += event.text; }
      else {
        var pre = document.createElement("pre");
        pre.className = cls;
        pre.textContent = event.text;
        outputs.appendChild(pre);
      }
    } else if (event.type === "result" || event.type === "display") {
      outputs.appendChild(renderBundle(event.data));
    } else if (event.type === "error") {
      var err = document.createElement("pre");
      err.className = "out out-error";
      err.textContent = event.traceback.length
        ? event.traceback.join("\n") : event.ename + ": " + event.evalue;
      outputs.appendChild(err);
    } else if (event.type === "clear") {
      outputs.textContent = "";
    }
  }

  function showNotice(text) {
    var notice = document.getElementById("notice");
    if (notice) { notice.textContent = text; notice.hidden = false; }
  }

  // ---- cells -------------------------------------------------------------------------
  var kernel = null;

  function runCell(cell) {
    var area = cell.querySelector("textarea.code");
    var outputs = cell.querySelector(".outputs");
    var count = cell.querySelector(".count");
    var timing = cell.querySelector(".timing");
    outputs.textContent = "";
    count.textContent = "[*]";
    timing.textContent = "running…";
    timing.classList.remove("error");
    cell.setAttribute("aria-busy", "true");
    return kernel.execute(area.value, function (event) {
      if (event.type !== "done") { appendEvent(outputs, event); }
    }).then(function (done) {
      cell.removeAttribute("aria-busy");
      count.textContent = done.count ? "[" + done.count + "]" : "[ ]";
      var took = done.ms === null ? "" : " · " + formatMs(done.ms);
      timing.textContent = done.status + took;
      timing.classList.toggle("error", done.status !== "ok");
      cell.dataset.lastStatus = done.status;
      return done;
    });
  }

  function formatMs(ms) { return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s"; }

  function cells() { return Array.prototype.slice.call(document.querySelectorAll(".cell[data-runnable]")); }

  function focusNext(cell) {
    var all = cells();
    var next = all[all.indexOf(cell) + 1];
    if (next) { next.querySelector("textarea.code").focus(); }
  }

  function runAll() {
    return cells().reduce(function (chain, cell) {
      return chain.then(function (ok) {
        if (!ok) { return false; }
        return runCell(cell).then(function (done) { return done.status === "ok"; });
      });
    }, Promise.resolve(true));
  }

  function runTests(cell) {
    var button = cell.querySelector("[data-action=check]");
    if (button) { button.click(); }
  }

  function wireCell(cell) {
    var area = cell.querySelector("textarea.code");
    cell.querySelector("[data-action=run]").addEventListener("click", function () { runCell(cell); });
    area.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      if ((event.ctrlKey || event.metaKey) && event.shiftKey) {
        event.preventDefault();
        runTests(cell);
      } else if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        runCell(cell);
      } else if (event.shiftKey) {
        event.preventDefault();
        runCell(cell);
        focusNext(cell);
      }
    });
    var reset = cell.querySelector("[data-action=reset]");
    if (reset) {
      reset.addEventListener("click", function () {
        if (!window.confirm("Replace your code with the starter code?")) { return; }
        area.value = cell.querySelector("template.starter").content.textContent;
        area.dispatchEvent(new Event("input"));
        area.focus();
      });
    }
  }

  // ---- hints and live submission status ------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action=hint]");
    if (!button) { return; }
    var hidden = button.closest(".hints").querySelectorAll("li[hidden]");
    if (hidden.length) {
      hidden[0].hidden = false;
      hidden[0].setAttribute("tabindex", "-1");
      hidden[0].focus();
    }
    if (hidden.length <= 1) { button.disabled = true; button.textContent = "No more hints"; }
  });

  function watchSubmissions(root) {
    root.querySelectorAll("[data-events-url]:not([data-watching])").forEach(function (box) {
      box.dataset.watching = "1";
      var label = box.querySelector(".submission-status");
      var source = new EventSource(box.dataset.eventsUrl);
      // The service's stream: `status` events (the submission as GET returns it), then `end`.
      source.addEventListener("status", function (event) {
        label.textContent = JSON.parse(event.data).status;
      });
      source.addEventListener("end", function () {
        source.close();
        htmx.ajax("GET", box.dataset.feedbackUrl, { target: box, swap: "outerHTML" }).then(function () {
          htmx.trigger(document.body, "progress-changed");
        });
      });
      source.onerror = function () { label.textContent += " (reconnecting)"; };
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });
  document.addEventListener("htmx:afterSettle", function (event) { watchSubmissions(event.target); });

  // The instructor dashboard refreshes itself whenever a submission is graded.
  function followClass() {
    var live = document.querySelector("[data-class-events]");
    if (!live) { return; }
    var source = new EventSource(live.dataset.classEvents);
    source.addEventListener("changed", function () { htmx.trigger(document.body, "class-changed"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".editor").forEach(setupEditor);
    document.querySelectorAll("iframe.out-html").forEach(function (frame) {
      frame.addEventListener("load", function () { fitFrame(frame); });
      if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fitFrame(frame); }
    });
    followClass();
    var page = document.querySelector("[data-kernel-url]");
    if (!page) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    kernel = new Kernel(scheme + window.location.host + page.dataset.kernelUrl,
      document.getElementById("kernel-status"));
    cells().forEach(wireCell);
    watchSubmissions(document);
    var interrupt = document.getElementById("kernel-interrupt");
    if (interrupt) { interrupt.addEventListener("click", function () { kernel.send({ op: "interrupt" }); }); }
    var restart = document.getElementById("kernel-restart");
    if (restart) { restart.addEventListener("click", function () { kernel.restart(); }); }
    var runAllButton = document.getElementById("kernel-run-all");
    if (runAllButton) {
      runAllButton.addEventListener("click", function () {
        runAllButton.disabled = true;
        kernel.restart().then(runAll).then(function () { runAllButton.disabled = false; });
      });
    }
    window.academyKernel = kernel;
  });
})();
