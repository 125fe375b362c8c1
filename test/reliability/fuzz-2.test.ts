// Half of the operations in the OpenAPI document; fuzz-suite.ts contains the tests.
import { defineFuzzSuite } from './fuzz-suite.js';

defineFuzzSuite(1, 2);
