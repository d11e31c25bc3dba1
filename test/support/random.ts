/** One seeded PRNG for tests and benches (mulberry32, in bench/support: the build compiles bench, not test). */
export { seededRandom } from '../../bench/support';
