import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { Scenario } from '../../src/simulation/scenario';

/** The user's acceptance examples, read from ../shared/scenarios at test time, never copied. */
export const SCENARIO_DIR = process.env.LEDGER_SCENARIOS_DIR ?? path.resolve(__dirname, '../../../shared/scenarios');

export interface ScenarioFile {
  readonly file: string;
  readonly scenario: Scenario;
}

export const loadScenarios = (): ReadonlyArray<ScenarioFile> => {
  if (!fs.existsSync(SCENARIO_DIR)) throw new Error(`scenario folder ${SCENARIO_DIR} is missing`);
  const files = fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`scenario folder ${SCENARIO_DIR} holds no *.json file`);
  return files.map((file) => {
    const decoded = Scenario.decode(JSON.parse(fs.readFileSync(path.join(SCENARIO_DIR, file), 'utf8')));
    if (E.isLeft(decoded)) throw new Error(`${file} is not a scenario file`);
    return { file, scenario: decoded.right };
  });
};
