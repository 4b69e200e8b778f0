// Run a Python 3.14 script under Pyodide with tdom: node run.mjs SITE WORKDIR SCRIPT [ARGS...]
// SITE holds unpacked wheels (mounted at /site and put on sys.path); WORKDIR is mounted at
// /work (the current directory). The script's exit status is the process's.
import { loadPyodide } from "pyodide";
import path from "node:path";

const [site, work, script, ...args] = process.argv.slice(2);
const py = await loadPyodide({
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});
py.mountNodeFS("/site", path.resolve(site));
py.mountNodeFS("/work", path.resolve(work));
py.globals.set("script_args", py.toPy([script, ...args]));
try {
  const status = py.runPython(`
import os, runpy, sys
sys.path[:0] = ["/site", "/work"]
os.chdir("/work")
sys.argv = list(script_args)
status = 0
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exit:
    status = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
status
`);
  process.exit(status);
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
