/* The Python behind the Run buttons (run.js starts this worker on the first click).

   Pyodide 0.27.7 with NumPy 2.0.2 and nn, every file from the site itself
   (assets/vendor/pyodide/, tools/site/pyodide.py). Python runs here, off the page's thread, so
   a long block never freezes the page, and Stop can end it (run.js terminates the worker).

   Messages in:  {type: "run", id, codes: [str], key, kind: "python" | "pycon", object, names}
   Messages out: {type: "stage", stage}            while Python loads: "python", "numpy", "nn", then "ready"
                 {type: "begin", id}               the block starts (the ones before it ended)
                 {type: "out" | "err", id, text}   what the block prints, as it prints it
                 {type: "done", id, ok}            the block finished (ok) or raised (not ok)
                 {type: "failed", message}         Python could not be loaded */
"use strict";

const VENDOR = new URL("../vendor/pyodide/", self.location.href).href;
importScripts(VENDOR + "pyodide.js");

// Runs codes[-1] after codes[:-1], the blocks of its chain above it (the same chains as the
// page tests: a block marked `cont` continues the namespace of the one before). The namespace
// of the last run of a chain is kept: running the next block of it does not run the earlier
// ones again, unless one of them was edited since, or this block ran in it already.
const RUNNER = `
import contextlib, doctest, importlib, io, linecache, sys, traceback

_chains = {}


def _compile(code, name, mode="exec"):
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    return compile(code, name, mode)


def _run(code, kind, namespace, name):
    if kind != "pycon":
        exec(_compile(code, name), namespace)
        return
    # A docstring's examples, as doctest runs them: each value echoed, and an exception shown
    # as the interactive prompt shows it (the example may expect it) before the next example.
    for example in doctest.DocTestParser().get_examples(code):
        try:
            exec(_compile(example.source, name, "single"), namespace)
        except Exception as exc:
            sys.stdout.flush()
            _report(exc, [name])


def _module_names(dotted):
    """What a docstring's example sees, as the doctests see it (conftest.py): its module's
    names, NumPy as np and everything nn and nn.datasets export."""
    import numpy
    import nn
    import nn.datasets

    parts = dotted.split(".")
    names = {"__name__": "__main__"}
    for end in range(len(parts), 0, -1):
        try:
            names = dict(vars(importlib.import_module(".".join(parts[:end]))))
            break
        except ImportError:
            continue
    names["np"] = numpy
    for module in (nn, nn.datasets):
        names.update({name: getattr(module, name) for name in module.__all__})
    return names


def _report(exc, names):
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in names:
        tb = tb.tb_next  # leave out this runner's own frames
    sys.stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))


def run_block(key, codes, kind, obj, names, failed_above):
    codes, names = list(codes), list(names)
    kept = _chains.pop(key, None)
    if kept is not None and kept[1] == codes[:-1]:
        namespace = kept[0]
    else:
        namespace = _module_names(obj) if obj else {"__name__": "__main__"}
        for code, name in zip(codes[:-1], names[:-1]):
            quiet = io.StringIO()
            try:
                with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                    _run(code, kind, namespace, name)
            except BaseException as exc:
                sys.stderr.write(failed_above.format(name=name) + "\\n")
                _report(exc, names)
                return False
    try:
        _run(codes[-1], kind, namespace, names[-1])
    except BaseException as exc:
        _report(exc, names)
        return False
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    _chains[key] = (namespace, codes)
    return True
`;

let current = null; // the id of the run whose output is arriving
const decoders = { out: new TextDecoder(), err: new TextDecoder() };

function stream(type) {
  return {
    write(bytes) {
      const text = decoders[type].decode(bytes, { stream: true });
      if (text) self.postMessage({ type, id: current, text });
      return bytes.length;
    },
  };
}

async function start() {
  self.postMessage({ type: "stage", stage: "python" });
  const pyodide = await loadPyodide({ indexURL: VENDOR, fullStdLib: false });
  pyodide.setStdout(stream("out"));
  pyodide.setStderr(stream("err"));
  self.postMessage({ type: "stage", stage: "numpy" });
  await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: console.error });
  self.postMessage({ type: "stage", stage: "nn" });
  const manifest = await (await fetch(VENDOR + "manifest.json")).json();
  const wheel = await fetch(new URL(manifest.wheel, VENDOR));
  if (!wheel.ok) throw new Error(`${wheel.url}: HTTP ${wheel.status}`);
  pyodide.unpackArchive(await wheel.arrayBuffer(), "wheel");
  pyodide.runPython(RUNNER);
  self.postMessage({ type: "stage", stage: "ready" });
  return { pyodide, runBlock: pyodide.globals.get("run_block") };
}

let ready = null;
let queue = Promise.resolve();

self.onmessage = (event) => {
  const message = event.data;
  if (message.type !== "run") return;
  ready ??= start();
  ready.catch((error) => self.postMessage({ type: "failed", message: String(error) }));
  queue = queue.then(async () => {
    let python;
    try {
      python = await ready;
    } catch {
      return; // reported above
    }
    current = message.id;
    self.postMessage({ type: "begin", id: message.id });
    let ok = false;
    try {
      ok = python.runBlock(
        message.key,
        message.codes,
        message.kind,
        message.object || "",
        message.names,
        message.failedAbove,
      );
    } catch (error) {
      self.postMessage({ type: "err", id: message.id, text: String(error) + "\n" });
    }
    self.postMessage({ type: "done", id: message.id, ok });
  });
};
