// Compiles src/ to dist/ with the project's tsc when src/ changed since the last build.
// Plain JavaScript, so that it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
/** Tests build into a folder of their own; everyone else into dist/, as tsconfig.build.json says. */
export const outDir = process.env.BOOKLY_DIST_DIR ?? join(root, 'dist');
const stampPath = join(outDir, '.build-stamp');
const lockPath = join(outDir, '.build-lock');
// What the output depends on besides src/ (the lock file: an upgraded typebox is bundled again, see vendorBundles).
const inputsBesidesSrc = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build-when-stale.mjs', 'package-lock.json'].map((file) =>
  join(root, file),
);

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * What the build's inputs look like: a hash of each file's path, size and mtime. A stamp rather than
 * "newer than dist/" so that a deleted file, a renamed one, or one restored with an older mtime counts too.
 */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(src), ...inputsBesidesSrc].sort()) {
    const stat = statSync(file, { throwIfNoEntry: false });
    hash.update(`${relative(root, file)}\0${stat?.size}\0${stat?.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function builtFingerprint() {
  try {
    return readFileSync(stampPath, 'utf8');
  } catch {
    return undefined;
  }
}

/** The tsc the project depends on; undefined in a production install (`npm install --omit=dev`). */
function tscPath() {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Holds dist/ for one build at a time: an API and a worker started together both find it stale, and one
 * must not import files the other is rewriting. A lock whose process died is taken over.
 */
function withLock(build) {
  mkdirSync(outDir, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, { encoding: 'utf8', flag: 'r' }) || Number.NaN);
      // An empty file is one being written this instant: wait for it like a live holder.
      if (Number.isInteger(holder) && !alive(holder)) rmSync(lockPath, { force: true });
      else sleep(100);
    }
  }
  try {
    return build();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

/**
 * typebox ships as 600-odd ES modules: loading them one by one was a third of the API's start-up, and
 * one bundled file loads in a tenth of that. The emitted imports of it are pointed at that bundle.
 * Bundled by tsx's esbuild (tsx is a dependency); without it, dist/ imports typebox as it is.
 */
const vendored = [
  { specifier: 'typebox', file: 'typebox.js' },
  { specifier: 'typebox/compile', file: 'typebox-compile.js' },
];
const vendorDir = 'vendor';

function loadEsbuild() {
  try {
    const require = createRequire(import.meta.url);
    return createRequire(require.resolve('tsx'))('esbuild');
  } catch {
    return undefined;
  }
}

function vendorBundles() {
  const esbuild = loadEsbuild();
  if (esbuild === undefined) return;
  // Entry files inside the project, so that the bare names resolve from its node_modules.
  const entries = join(outDir, '.vendor-entries');
  mkdirSync(entries, { recursive: true });
  try {
    const entryPoints = {};
    for (const { specifier, file } of vendored) {
      const entry = join(entries, file.replace(/\.js$/, '.mjs'));
      writeFileSync(entry, `export * from '${specifier}';\nexport { default } from '${specifier}';\n`);
      entryPoints[file.replace(/\.js$/, '')] = entry;
    }
    esbuild.buildSync({
      entryPoints,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      outdir: join(outDir, vendorDir),
      absWorkingDir: root,
      logLevel: 'error',
    });
  } finally {
    rmSync(entries, { recursive: true, force: true });
  }
  for (const file of filesUnder(outDir).filter((f) => f.endsWith('.js') && !relative(outDir, f).startsWith(`${vendorDir}/`))) {
    const code = readFileSync(file, 'utf8');
    let rewritten = code;
    for (const { specifier, file: bundle } of vendored) {
      const path = relative(dirname(file), join(outDir, vendorDir, bundle));
      rewritten = rewritten.replaceAll(`from '${specifier}';`, `from '${path.startsWith('.') ? path : `./${path}`}';`);
    }
    if (rewritten !== code) writeFileSync(file, rewritten);
  }
}

/** Removes what an earlier build left for a source file that is gone, so that dist/ is what src/ compiles to. */
function removeOrphans() {
  for (const file of filesUnder(outDir)) {
    const path = relative(outDir, file);
    if (path === '.build-stamp' || path === '.build-lock' || path.startsWith(`${vendorDir}/`)) continue;
    const sources = [path, path.replace(/\.js$/, '.ts'), path.replace(/\.js\.map$/, '.ts')];
    if (!sources.some((source) => statSync(join(src, source), { throwIfNoEntry: false })?.isFile())) rmSync(file);
  }
}

function compile(tsc, inputs) {
  const started = performance.now();
  // Types are checked by `npm run typecheck` and `npm test`; emitting alone takes a tenth of the time.
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', outDir], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout}${run.stderr}`);
    throw new Error(`tsc could not compile src/ (exit ${run.status ?? run.signal})`);
  }
  // Files src/ reads beside its modules (the console's assets) go along.
  for (const file of filesUnder(src).filter((f) => !f.endsWith('.ts'))) cpSync(file, join(outDir, relative(src, file)));
  rmSync(join(outDir, vendorDir), { recursive: true, force: true });
  vendorBundles();
  removeOrphans();
  writeFileSync(stampPath, inputs);
  console.error(`Compiling src/ to ${relative(process.cwd(), outDir) || '.'}/ (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

/**
 * Makes dist/ current and says whether to run it: `dist` when it is built (or was, and no tsc can
 * build it again), `source` when there is neither tsc nor a build.
 */
export function buildWhenStale() {
  const tsc = tscPath();
  if (tsc === undefined) return builtFingerprint() === undefined ? 'source' : 'dist';
  let inputs = fingerprint();
  if (builtFingerprint() === inputs) return 'dist';
  withLock(() => {
    // Another process may have built it while this one waited.
    inputs = fingerprint();
    if (builtFingerprint() !== inputs) compile(tsc, inputs);
  });
  return 'dist';
}

// `npm run build`: compiles now if stale, as a deployment does before `npm install --omit=dev` drops tsc.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) buildWhenStale();
