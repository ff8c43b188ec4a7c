"""What an experiment file may name: layers and their arguments, optimizers, losses, figures, columns."""

from __future__ import annotations

from .figurekinds import FIGURE_KINDS

__all__ = [
    "ALIASES",
    "ACTIVATIONS",
    "CALLBACKS",
    "COLUMNS",
    "DATA_SOURCES",
    "ESTIMATORS",
    "FIGURES",
    "LAYERS",
    "LOSSES",
    "METRICS",
    "OPTIMIZERS",
    "OPTIMIZER_CLASSES",
]

# Argument kinds are checked by spec.args.read_arg; every layer also takes `name`. Widths (units, filters, sides in
# pixels) and sizes (kernels, pools, strides) are bounded by limits.limit('layer_width'), before any model is built.
_CONV = {
    "filters": "width",
    "kernel_size": "size",
    "strides": "size",
    "padding": "padding",
    "activation": "activation",
    "use_bias": "bool",
    "dilation_rate": "size",
    "kernel_initializer": "initializer",
    "kernel_regularizer": "regularizer",
    "bias_regularizer": "regularizer",
}
_POOL = {"pool_size": "size", "strides": "size", "padding": "padding"}

LAYERS: dict[str, dict[str, str]] = {
    "Dense": {
        "units": "width",
        "activation": "activation",
        "use_bias": "bool",
        "kernel_initializer": "initializer",
        "kernel_regularizer": "regularizer",
        "bias_regularizer": "regularizer",
    },
    "Conv1D": _CONV,
    "Conv2D": _CONV,
    "MaxPooling1D": _POOL,
    "MaxPooling2D": _POOL,
    "AveragePooling2D": _POOL,
    "GlobalAveragePooling2D": {},
    "GlobalMaxPooling2D": {},
    "Flatten": {},
    "Activation": {"activation": "activation"},
    "ReLU": {},
    "Softmax": {},
    "BatchNormalization": {"momentum": "unit_float", "epsilon": "pos_float", "axis": "int"},
    "Dropout": {"rate": "rate", "seed": "nonneg_int"},
    "SpatialDropout2D": {"rate": "rate", "seed": "nonneg_int"},
    "Reshape": {"target_shape": "shape"},
    "UpSampling2D": {"size": "size", "interpolation": "interpolation"},
    "ZeroPadding2D": {"padding": "size"},
    "Resizing": {"height": "width", "width": "width", "interpolation": "interpolation"},
    "Rescaling": {"scale": "number", "offset": "number"},
    # Merges: the first layer of a graph node with several inputs.
    "Concatenate": {"axis": "int"},
    "Add": {},
    "Subtract": {},
    "Average": {},
    "Multiply": {},
    "Maximum": {},
    "Minimum": {},
    # Online data augmentation: Keras preprocessing layers, active in training only, run inside the model.
    "RandomFlip": {"mode": "flip_mode", "seed": "nonneg_int"},
    "RandomTranslation": {"height_factor": "factor", "width_factor": "factor", "fill_mode": "fill_mode", "seed": "nonneg_int"},
    "RandomRotation": {"factor": "factor", "fill_mode": "fill_mode", "seed": "nonneg_int"},
    "RandomZoom": {"height_factor": "factor", "width_factor": "factor", "fill_mode": "fill_mode", "seed": "nonneg_int"},
    "RandomContrast": {"factor": "factor", "value_range": "range", "seed": "nonneg_int"},
    "RandomBrightness": {"factor": "factor", "value_range": "range", "seed": "nonneg_int"},
}
MERGES = ("Concatenate", "Add", "Subtract", "Average", "Multiply", "Maximum", "Minimum")
AUGMENTATION = ("RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast", "RandomBrightness")
# Positional shorthand: `Dense: 128`, `Dropout: 0.2`, `Activation: relu`.
LAYER_MAIN_ARG = {
    "Dense": "units",
    "Conv1D": "filters",
    "Conv2D": "filters",
    "MaxPooling1D": "pool_size",
    "MaxPooling2D": "pool_size",
    "AveragePooling2D": "pool_size",
    "Activation": "activation",
    "Dropout": "rate",
    "SpatialDropout2D": "rate",
    "Reshape": "target_shape",
    "UpSampling2D": "size",
    "ZeroPadding2D": "padding",
    "Concatenate": "axis",
    "RandomFlip": "mode",
    "RandomRotation": "factor",
    "RandomZoom": "height_factor",
    "RandomContrast": "factor",
    "RandomBrightness": "factor",
}
REQUIRED_ARGS = {"Dense": ("units",), "Conv1D": ("filters", "kernel_size"), "Conv2D": ("filters", "kernel_size"),
                 "Activation": ("activation",), "Dropout": ("rate",), "SpatialDropout2D": ("rate",), "Reshape": ("target_shape",), "Resizing": ("height", "width"),
                 "RandomTranslation": ("height_factor", "width_factor"), "RandomRotation": ("factor",), "RandomZoom": ("height_factor",),
                 "RandomContrast": ("factor",), "RandomBrightness": ("factor",)}

# keras.applications backbones usable as a layer (reportgen.model.backbones checks this list against Keras).
APPLICATIONS = (
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large", "MobileNetV3Small",
    "NASNetLarge", "NASNetMobile", "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2",
    "VGG16", "VGG19", "Xception",
)  # fmt: skip
_BACKBONE = {"weights": "weights", "pooling": "pooling", "trainable": "bool", "input_size": "size", "include_top": "bool"}
_WIDTH = {"alpha": "pos_float"}  # MobileNet width multiplier
for _app in APPLICATIONS:
    LAYERS[_app] = {**_BACKBONE, **(_WIDTH if _app.startswith("MobileNet") else {})}

ACTIVATIONS = ("relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "swish", "silu",
               "leaky_relu", "softplus", "softsign", "relu6", "hard_sigmoid", "exponential")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
                "zeros", "ones", "random_normal", "random_uniform", "orthogonal")
REGULARIZERS = ("l1", "l2")

OPTIMIZERS: dict[str, dict[str, str]] = {
    "adam": {"beta_1": "unit_float", "beta_2": "unit_float", "epsilon": "pos_float", "amsgrad": "bool", "weight_decay": "nonneg_float"},
    "adamw": {"beta_1": "unit_float", "beta_2": "unit_float", "epsilon": "pos_float", "weight_decay": "nonneg_float"},
    "sgd": {"momentum": "unit_float", "nesterov": "bool", "weight_decay": "nonneg_float"},
    "rmsprop": {"rho": "unit_float", "momentum": "unit_float", "epsilon": "pos_float"},
    "adagrad": {"epsilon": "pos_float"},
    "nadam": {"beta_1": "unit_float", "beta_2": "unit_float", "epsilon": "pos_float"},
}
# Keras' class names of the optimizers (keras.optimizers.SGD, ...), read as the names above: one spelling in the cache key.
OPTIMIZER_CLASSES = {"Adam": "adam", "AdamW": "adamw", "SGD": "sgd", "RMSprop": "rmsprop", "Adagrad": "adagrad", "Nadam": "nadam"}
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
          "mean_absolute_error")
METRICS = ("accuracy", "top_k_categorical_accuracy", "mean_squared_error", "mean_absolute_error")
# The short names Keras itself accepts (keras.losses.get / keras.metrics.get), read as the full ones: the cache key
# and the report see one spelling.
ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "acc": "accuracy"}

RECONSTRUCTION_LOSSES = ("mean_squared_error", "binary_crossentropy", "mean_absolute_error")
RECONSTRUCTION_METRICS = ("mean_squared_error", "mean_absolute_error")

# scikit-learn estimators a run may fit on features (class name -> its arguments); reportgen.run.estimator maps
# each name to its class, and a test checks every argument against the class's own parameters.
# Counts that decide an estimator's work are bounded by limits.limit('estimator_size') ("estimator_count").
_C = {"C": "pos_float", "max_iter": "estimator_count", "class_weight": "class_weight"}
ESTIMATORS: dict[str, dict[str, str]] = {
    "SVC": {**_C, "kernel": "svm_kernel", "gamma": "gamma", "degree": "estimator_count"},
    "LinearSVC": {**_C, "dual": "dual"},
    "LogisticRegression": {**_C, "solver": "lr_solver"},
    "KNeighborsClassifier": {"n_neighbors": "estimator_count", "weights": "knn_weights", "p": "pos_float"},
    "RandomForestClassifier": {"n_estimators": "estimator_count", "max_depth": "estimator_count", "min_samples_leaf": "pos_int",
                               "class_weight": "class_weight"},
    "GaussianNB": {},
    "RidgeClassifier": {"alpha": "nonneg_float", "class_weight": "class_weight"},
}

CALLBACKS: dict[str, dict[str, str]] = {
    "EarlyStopping": {"monitor": "monitor", "patience": "nonneg_int", "min_delta": "nonneg_float",
                      "restore_best_weights": "bool", "mode": "mode"},
    "ReduceLROnPlateau": {"monitor": "monitor", "factor": "unit_float", "patience": "nonneg_int",
                          "min_lr": "nonneg_float", "mode": "mode"},
    "TerminateOnNaN": {},
    # Keeps the best model seen (PW12): the run's metrics, figures and probes then come from it.
    "ModelCheckpoint": {"monitor": "monitor", "save_best_only": "bool", "mode": "mode"},
}

# Figure kinds are declared once, in spec.figurekinds; these are the views the readers use. Their integer options
# (columns, images of a grid) are bounded by limits.limit('figure_images'); the codes figure's `images` counts points
# projected (default 2,000), which the test set's size caps, not panels of a grid.
_NOT_A_GRID = {("codes", "images")}
FIGURES: dict[str, dict[str, str]] = {
    name: {key: "figure_count" if arg == "pos_int" and (name, key) not in _NOT_A_GRID else arg for key, arg in kind.keys.items()}
    for name, kind in FIGURE_KINDS.items()
}
FIGURE_FORMATS = {name: kind.format for name, kind in FIGURE_KINDS.items()}  # the file a figure kind is drawn to
REQUIRED_FIGURE_KEYS = {name: kind.required for name, kind in FIGURE_KINDS.items()}

# Columns a results table may show; report.tables renders each.
COLUMNS = ("run", "architecture", "train_accuracy", "test_accuracy", "train_loss", "test_loss", "params",
           "epochs", "batch_size", "optimizer", "hyperparameters", "seconds", "callback", "best_epoch", "head_accuracy", "phases",
           "test_mse", "train_mse", "test_psnr", "noisy_psnr", "code_size", "compression", "features", "estimator", "start", "data")
DEFAULT_COLUMNS = ("run", "architecture", "params", "train_accuracy", "test_accuracy")

DATA_SOURCES: dict[str, dict[str, str]] = {
    "cifar10": {"classes": "texts"},
    "mnist": {"classes": "texts"},
    "fashion_mnist": {"classes": "texts"},
    "notmnist": {"classes": "texts"},
    "idx": {"path": "path", "classes": "texts"},
    "digits": {"classes": "texts"},
    "food101": {"path": "path", "classes": "pos_int", "image_size": "size"},
}
