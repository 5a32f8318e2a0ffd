import { openStore } from '../../src/store/openStore';
import { describeEventStoreContract } from './contract';

describeEventStoreContract('in-memory', () => openStore('memory:'));
