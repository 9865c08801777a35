// Datasets: the embedded MNIST digits and .npy/.npz files.
export type { Dataset } from './dataset.js';
export { loadMnist, MNIST_PIXELS, MNIST_TRAIN_FRACTION } from './mnist.js';
export type { MnistSplit } from './mnist.js';
export { loadNpy, readNpy, writeNpy } from './npy.js';
export { listNpz, loadNpz, loadNpzDataset, readNpz, writeNpz } from './npz.js';
