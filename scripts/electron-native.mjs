// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving node_modules (Node's ABI,
// used by `npm test`, `serve` and the CLI) untouched. The desktop shell loads it through
// better-sqlite3's `nativeBinding` option. Runs before `npm start` and `npm run dist`; a no-op when
// the binary for this Electron, better-sqlite3, platform and arch is already there.
//
// First tries the prebuilt binary better-sqlite3 publishes for Electron (prebuild-install, needs
// internet), then compiles from source against Electron's headers (node-gyp, needs a C++ toolchain).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const target = path.join(root, '.electron-native');
const stampFile = path.join(target, 'stamp.json');

const electronVersion = JSON.parse(fs.readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const sqlitePkgDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = JSON.parse(fs.readFileSync(path.join(sqlitePkgDir, 'package.json'), 'utf8')).version;
const arch = process.env.npm_config_arch || process.arch;
const stamp = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch };

const current = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8') : '';
if (current === JSON.stringify(stamp) && fs.existsSync(path.join(target, 'better_sqlite3.node'))) process.exit(0);

process.stderr.write(
  `Preparing better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.platform}-${arch})…\n`,
);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-electron-native-'));
fs.cpSync(sqlitePkgDir, work, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) });
fs.rmSync(path.join(work, 'build'), { recursive: true, force: true });

const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const attempt = (command, args) =>
  spawnSync(command, args, { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' }).status === 0;

const built =
  attempt(bin('prebuild-install'), ['--runtime', 'electron', '--target', electronVersion, '--arch', arch]) ||
  attempt(process.env.npm_config_node_gyp ? process.execPath : bin('node-gyp'), [
    ...(process.env.npm_config_node_gyp ? [process.env.npm_config_node_gyp] : []),
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${electronVersion}`,
    `--arch=${arch}`,
    '--dist-url=https://electronjs.org/headers',
  ]);

const binary = path.join(work, 'build', 'Release', 'better_sqlite3.node');
if (!built || !fs.existsSync(binary)) {
  fs.rmSync(work, { recursive: true, force: true });
  process.stderr.write(
    '\nCould not get better-sqlite3 for Electron. It needs either internet access (for the prebuilt binary) or a C++ ' +
      'toolchain (Linux: build-essential and python3; macOS: Xcode command line tools; Windows: Visual Studio Build Tools). ' +
      'Install one and run `npm start` again.\n',
  );
  process.exit(1);
}
fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(binary, path.join(target, 'better_sqlite3.node'));
fs.writeFileSync(stampFile, JSON.stringify(stamp));
fs.rmSync(work, { recursive: true, force: true });
process.stderr.write(`better-sqlite3 for Electron ready in ${path.relative(root, target)}/\n`);
