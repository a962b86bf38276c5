export { classificationHead, type ClassificationHeadOptions } from './classification/classification-head.js';
export { createClassifier, type ClassifierOptions } from './classification/create-classifier.js';
