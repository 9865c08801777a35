// Datasets: the embedded MNIST digits and .npy/.npz files.
export type { Dataset } from './dataset.js';
export { loadMnist } from './mnist.js';
export type { MnistSplit } from './mnist.js';
