// ciqa-review web: CSRF header on every write, and the upload form (checks in the browser, a progress bar per file).
(function () {
  "use strict";

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  // htmx writes carry the session's CSRF token, as the API requires for cookie-authenticated requests.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = cookie("ciqa_csrf");
  });

  function humanSize(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function checkFile(file, form, accept) {
    var max = Number(form.dataset.maxBytes);
    var allowed = (accept || form.dataset.accept).split(",");
    var dot = file.name.lastIndexOf(".");
    var ext = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
    if (allowed.indexOf(ext) < 0) return "“" + file.name + "”的格式不受支持，请上传 " + allowed.join("、") + " 文件。";
    if (file.size === 0) return "“" + file.name + "”是空文件（0 字节），请检查后重新选择。";
    if (file.size > max) return "“" + file.name + "”过大（" + humanSize(file.size) + "），超过 " + humanSize(max) + " 上限。";
    return "";
  }

  function uploadOne(form, file, role, done) {
    var list = document.getElementById(form.dataset.target);
    var row = document.createElement("div");
    row.className = "panel upload-row";
    row.innerHTML = '<div class="job"><span></span><span class="small muted">上传中 0%</span>' +
      '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><span style="width:0%"></span></div></div>';
    row.querySelector("span").textContent = file.name;
    list.prepend(row);
    var data = new FormData();
    data.append("file", file, file.name);
    data.append("role", role);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", cookie("ciqa_csrf"));
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      row.querySelector(".progress > span").style.width = pct + "%";
      row.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
      row.querySelector(".small").textContent = "上传中 " + pct + "%";
    };
    xhr.onload = function () {
      // The server answers with the version's status fragment (it polls itself until processing ends) or an error.
      row.outerHTML = xhr.responseText;
      var added = list.firstElementChild;
      if (window.htmx && added) window.htmx.process(added);
      done();
    };
    xhr.onerror = function () {
      row.querySelector(".small").textContent = "上传失败：网络中断，请重试。";
      row.classList.add("alert", "error");
      done();
    };
    xhr.send(data);
  }

  function setupUpload(form) {
    var zone = form.querySelector(".dropzone");
    var main = form.querySelector("input[name=main]");
    var extra = form.querySelector("input[name=supporting]");
    // 状态数据 (XLSX/CSV spreadsheets); absent from forms that take no state data.
    var state = form.querySelector("input[name=state_data]");
    var stateFiles = function () { return state && state.files ? [].slice.call(state.files) : []; };
    var error = form.querySelector(".field-error");
    var chosen = form.querySelector(".files");
    var submit = form.querySelector("button[type=submit]");

    function show() {
      chosen.innerHTML = "";
      var files = [].concat(main.files ? [].slice.call(main.files) : [], extra.files ? [].slice.call(extra.files) : []);
      files.forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f.name + "（" + humanSize(f.size) + "）";
        chosen.appendChild(li);
      });
      stateFiles().forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f.name + "（状态数据，" + humanSize(f.size) + "）";
        chosen.appendChild(li);
      });
      var problems = files.map(function (f) { return checkFile(f, form); })
        .concat(stateFiles().map(function (f) { return checkFile(f, form, state.getAttribute("accept")); }))
        .filter(Boolean);
      error.textContent = problems.join(" ");
      submit.disabled = problems.length > 0 || files.length + stateFiles().length === 0;
    }

    main.addEventListener("change", show);
    extra.addEventListener("change", show);
    if (state) state.addEventListener("change", show);
    // Files chosen before this script ran (a fast hand, or the browser restoring the form) count too.
    if (main.files.length || extra.files.length) show();
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      var files = e.dataTransfer.files;
      if (!files.length) return;
      // The first dropped file is the main report unless one is chosen already; the rest are 支撑材料.
      // Spreadsheets are 状态数据 wherever they fall in the drop.
      var dt = new DataTransfer();
      var rest = new DataTransfer();
      var sheets = new DataTransfer();
      var isSheet = function (f) { return state && /\.(xlsx|csv)$/i.test(f.name); };
      [].slice.call(files).filter(isSheet).forEach(function (f) { sheets.items.add(f); });
      [].slice.call(files).filter(function (f) { return !isSheet(f); }).forEach(function (f, i) {
        if (i === 0 && !main.files.length) dt.items.add(f); else rest.items.add(f);
      });
      if (dt.files.length) main.files = dt.files;
      if (rest.files.length) extra.files = rest.files;
      if (sheets.files.length) state.files = sheets.files;
      show();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var queue = [];
      [].slice.call(main.files).forEach(function (f) { queue.push([f, "main"]); });
      [].slice.call(extra.files).forEach(function (f) { queue.push([f, "supporting"]); });
      stateFiles().forEach(function (f) { queue.push([f, "state_data"]); });
      submit.disabled = true;
      (function next() {
        var item = queue.shift();
        if (!item) { form.reset(); chosen.innerHTML = ""; return; }
        uploadOne(form, item[0], item[1], next);
      })();
    });
  }

  // A point chosen in the review tree (or linked to) opens with its evidence loaded.
  function openLinkedPoint() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    var button = target ? target.querySelector("button.load-detail") : null;
    [].slice.call(document.querySelectorAll(".tree a.point.current")).forEach(function (a) { a.classList.remove("current"); });
    var link = document.querySelector('.tree a.point[href="#' + CSS.escape(id) + '"]');
    if (link) link.classList.add("current");
    if (button) button.click();
  }

  // A hidden file input (labelled as a button) names the chosen file beside it.
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input.file-input[data-show]")) return;
    var shown = document.getElementById(input.dataset.show);
    if (shown) shown.textContent = input.files.length ? input.files[0].name : "未选择文件";
  });

  window.addEventListener("hashchange", openLinkedPoint);
  document.addEventListener("DOMContentLoaded", function () {
    [].slice.call(document.querySelectorAll("form.upload")).forEach(setupUpload);
    openLinkedPoint();
  });
})();
