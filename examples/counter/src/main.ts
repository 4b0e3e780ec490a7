import { runCounterDemo } from './demo';

runCounterDemo((line) => console.log(line));
