/* A Run button under every Python block: the block runs in the reader's browser, in Python
   served by this site (Pyodide, NumPy and nn; run-worker.js), and its output appears under it.
   Edit makes the block editable; Reset puts the page's code back. Nothing of Python loads
   before the first click. tools/site/pyodide.py numbers the blocks (data-nn-block), says which
   ones continue the one before (data-nn-chain, as the page tests run them), which cannot
   run here and why (data-nn-norun), what a block runs here in place of what (data-nn-page,
   data-nn-browser: a smaller setting) and where its output here differs (data-nn-note). */
(() => {
  "use strict";
  const blocks = [...document.querySelectorAll("div.highlight[data-nn-block]")];
  if (!blocks.length) return;
  const assets = new URL("..", document.currentScript.src); // .../assets/
  const zh = document.documentElement.lang.startsWith("zh");
  const T = zh
    ? {
        run: "运行",
        stop: "停止",
        edit: "编辑",
        reset: "还原",
        unavailable: "无法在浏览器中运行",
        loading: {
          python: "正在浏览器中启动 Python（Pyodide，首次约 19 MB）……",
          numpy: "正在加载 NumPy……",
          nn: "正在安装 nn……",
        },
        waiting: "等待前一段代码运行完毕……",
        running: "运行中……",
        done: (s) => `运行完毕，用时 ${s} 秒`,
        error: (s) => `出错，用时 ${s} 秒`,
        loaded: (s) => `Python 加载用时 ${s} 秒；`,
        stopped: "已停止。下次运行时 Python 会重新启动。",
        failed: "无法启动浏览器中的 Python：",
        nothing: "，没有输出",
        editing: "可以修改代码了。Ctrl+Enter 运行。",
        name: (k) => (k === null ? "<本段代码>" : `<上文第 ${k} 段代码>`),
        failedAbove: "本段代码接着上文的代码运行，而 {name} 出错了：",
      }
    : {
        run: "Run",
        stop: "Stop",
        edit: "Edit",
        reset: "Reset",
        unavailable: "Cannot run in the browser",
        loading: {
          python: "Starting Python in your browser (Pyodide, about 19 MB the first time)…",
          numpy: "Loading NumPy…",
          nn: "Installing nn…",
        },
        waiting: "Waiting for the block before to finish…",
        running: "Running…",
        done: (s) => `Done in ${s} s`,
        error: (s) => `Raised an error after ${s} s`,
        loaded: (s) => `Python loaded in ${s} s; `,
        stopped: "Stopped. Python starts again on the next run.",
        failed: "Python could not start in this browser: ",
        nothing: ", no output",
        editing: "You can edit the code now. Ctrl+Enter runs it.",
        name: (k) => (k === null ? "<this block>" : `<block ${k} above>`),
        failedAbove: "This block continues the code above it, and {name} raised an error:",
      };

  let worker = null;
  let loadedBy = null; // the run that started the worker: its status says how long Python took
  let stage = null;
  let nextId = 0;
  const runs = new Map(); // id -> the run's view

  const original = new Map(); // block -> the page's code, as the reader sees it
  for (const block of blocks) original.set(block, block.querySelector("code").textContent);

  // The code a block runs: as the reader edited it, or the page's, with the smaller setting
  // the browser needs.
  function codeOf(block) {
    const code = block.querySelector("code");
    if (block.classList.contains("nn-edited")) return code.innerText;
    const { nnPage, nnBrowser } = block.dataset;
    return nnPage ? original.get(block).replace(nnPage, nnBrowser) : original.get(block);
  }

  function chainOf(block) {
    const chain = block.dataset.nnChain;
    const index = Number(block.dataset.nnBlock);
    return blocks.filter((b) => b.dataset.nnChain === chain && Number(b.dataset.nnBlock) <= index);
  }

  function startWorker() {
    worker = new Worker(new URL("javascripts/run-worker.js", assets));
    worker.onmessage = ({ data }) => {
      if (data.type === "stage") {
        stage = data.stage;
        if (stage in T.loading) for (const view of runs.values()) view.status(T.loading[stage], true);
      } else if (data.type === "failed") {
        for (const view of runs.values()) view.finish(null, T.failed + data.message);
        runs.clear();
        worker.terminate();
        worker = null;
      } else {
        const view = runs.get(data.id);
        if (!view) return;
        if (data.type === "begin") view.begin();
        if (data.type === "out" || data.type === "err") view.print(data.text, data.type);
        if (data.type === "done") {
          runs.delete(data.id);
          view.finish(data.ok);
        }
      }
    };
  }

  function stopAll() {
    if (worker) worker.terminate();
    worker = null;
    stage = null;
    for (const view of runs.values()) view.finish(null, T.stopped);
    runs.clear();
  }

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "nn-run__button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function attach(block) {
    const bar = document.createElement("div");
    bar.className = "nn-run";
    const output = document.createElement("pre");
    output.className = "nn-run__output";
    output.hidden = true;
    output.setAttribute("aria-live", "polite");
    const status = document.createElement("span");
    status.className = "nn-run__status";
    const note = document.createElement("p");
    note.className = "nn-run__note";
    if (block.dataset.nnNote) note.innerHTML = block.dataset.nnNote; // from the build: trusted
    const progress = document.createElement("progress");
    progress.className = "nn-run__progress";
    progress.hidden = true;

    if (block.dataset.nnNorun) {
      const run = button(T.run, () => {});
      run.disabled = true;
      run.title = block.dataset.nnNorun;
      status.textContent = `${T.unavailable}: ${block.dataset.nnNorun}`;
      bar.append(run, status);
      block.after(bar);
      return;
    }

    let id = null;
    let started = 0; // the click
    let began = 0; // the block's first line (Python loaded, the blocks queued before it done)
    let printed = false;
    const run = button(T.run, () => (id === null ? start() : stopAll()));
    run.classList.add("nn-run__button--run");
    // Plain text in place of the highlighted code, which would go stale as the reader types.
    function toText() {
      if (block.classList.contains("nn-edited")) return;
      block.querySelector("code").textContent = codeOf(block);
      block.classList.add("nn-edited");
      reset.hidden = false;
    }
    const edit = button(T.edit, () => {
      const code = block.querySelector("code");
      toText();
      code.contentEditable = "plaintext-only";
      if (code.contentEditable !== "plaintext-only") code.contentEditable = "true";
      code.spellcheck = false;
      code.focus();
      edit.hidden = true;
      status.textContent = T.editing;
    });
    const reset = button(T.reset, () => {
      const code = block.querySelector("code");
      code.removeAttribute("contenteditable");
      code.innerHTML = highlighted;
      block.classList.remove("nn-edited");
      reset.hidden = true;
      edit.hidden = false;
      status.textContent = "";
    });
    reset.hidden = true;
    const highlighted = block.querySelector("code").innerHTML;
    bar.append(run, edit, reset, progress, status);
    if (block.dataset.nnNote) bar.append(note);
    block.after(bar);
    bar.after(output);

    block.querySelector("code").addEventListener("keydown", (event) => {
      if (!block.classList.contains("nn-edited")) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey || event.shiftKey)) {
        event.preventDefault();
        if (id === null) start();
      } else if (event.key === "Tab" && !event.shiftKey) {
        event.preventDefault(); // four spaces, as Python wants; Shift+Tab leaves the block
        document.execCommand("insertText", false, "    ");
      }
    });

    const view = {
      begin() {
        began = performance.now();
        this.status(T.running, true);
      },
      status(text, busy) {
        status.textContent = text;
        progress.hidden = !busy;
      },
      print(text, type) {
        if (!printed) output.textContent = "";
        printed = true;
        output.hidden = false;
        const span = document.createElement("span");
        if (type === "err") span.className = "nn-run__stderr";
        span.textContent = text;
        output.append(span);
      },
      finish(ok, message) {
        const end = performance.now();
        const seconds = ((end - (began || end)) / 1000).toFixed(1);
        // The reader waited for Python to load (the first run of a page), or for other blocks.
        const waited = began ? (began - started) / 1000 : 0;
        id = null;
        run.textContent = T.run;
        run.classList.remove("nn-run__button--stop");
        progress.hidden = true;
        if (message) {
          status.textContent = message;
        } else {
          const loaded = loadedBy === id0 ? T.loaded(waited.toFixed(1)) : "";
          const quiet = printed ? "" : T.nothing;
          status.textContent = loaded + (ok ? T.done(seconds) : T.error(seconds)) + quiet;
        }
        output.hidden = !printed;
        block.dataset.nnSeconds = ((end - (began || end)) / 1000).toFixed(3);
        block.dataset.nnWaited = waited.toFixed(2);
        block.dataset.nnRan = ok === true ? "ok" : ok === false ? "error" : "stopped";
      },
    };

    let id0 = null; // this run's id, after it ended
    function start() {
      if (block.dataset.nnPage) toText(); // show the smaller setting that runs
      if (!worker) {
        startWorker();
        loadedBy = nextId;
      }
      id = id0 = nextId++;
      began = 0;
      runs.set(id, view);
      started = performance.now();
      printed = false;
      output.hidden = true; // until the block prints
      output.textContent = "";
      delete block.dataset.nnRan;
      delete block.dataset.nnSeconds;
      delete block.dataset.nnWaited;
      run.textContent = T.stop;
      run.classList.add("nn-run__button--stop");
      const busy = [...runs.keys()].some((other) => other !== id);
      if (busy) view.status(T.waiting, true);
      else if (stage !== "ready") view.status(T.loading[stage || "python"], true);
      else view.status(T.running, true);
      const chain = chainOf(block);
      worker.postMessage({
        type: "run",
        id,
        key: block.dataset.nnChain,
        codes: chain.map(codeOf),
        names: chain.map((b, k) => T.name(b === block ? null : k + 1)),
        kind: block.classList.contains("language-pycon") ? "pycon" : "python",
        object: block.dataset.nnObject || "",
        failedAbove: T.failedAbove,
      });
    }
  }

  blocks.forEach(attach);
})();
