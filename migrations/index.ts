import { Foundation1796230126085 } from './1796230126085-foundation';
import { Sla1796230647019 } from './1796230647019-sla';
import { Retention1796230757224 } from './1796230757224-retention';

/** Every migration in order. Add new ones at the end (npm run migration:generate -- <Name>). */
export const MIGRATIONS: Function[] = [Foundation1796230126085, Sla1796230647019, Retention1796230757224];
