/*
 * console.log.diags: the console lines recheck flagged (parse-console.sh's diagnostics file),
 * written when there are any and removed when a recheck finds none.
 */

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIO_FILE } from '../../formats/results_files.js';
import type { Writer } from './writer.js';

export const consoleDiags: Writer = {
  name: 'console.log.diags',
  scenario(v) {
    const file = path.join(v.dir, SCENARIO_FILE.diags);
    if (v.diags.length > 0) writeFileSync(file, v.diags.join('\n') + '\n');
    else if (existsSync(file)) rmSync(file);
  },
};
