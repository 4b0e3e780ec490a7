// Run by the store suite in a process of its own (see storeSuite): measures, prints JSON.
import { measureStore } from './suites/store';

process.stdout.write(JSON.stringify(measureStore()));
