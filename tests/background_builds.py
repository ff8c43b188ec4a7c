"""The whole quick builds that tests read, each into a folder of its own: `python background_builds.py NAME FOLDER`,
its exit status the build's. tests/conftest.py runs them in the background, one after another in the order the tests
need them, from the moment the tests that read them are collected; the fixture `NAME_quick_build` gives the folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTMNIST_COPY = "notmnist-tiny"  # exercise 3's letters: a smaller copy of notMNIST on the data path, as a machine offline has
FOOD20 = [f"dish_{i:02d}" for i in range(22)]  # 22 classes in classes.txt: the experiment takes the first 20


def _report(name: str, folder: Path, env: dict[str, str]) -> int:
    """`reportgen report experiments/NAME.yaml --quick --out FOLDER/out --cache FOLDER/cache` in this process, then
    `reportgen notebook ... --no-execute` and the notebook executed as a teacher would: `jupyter nbconvert --execute`
    in the build folder, in a kernel where `import reportgen` fails (FOLDER/nbconvert.log)."""
    os.environ.update(env)
    from reportgen.cli import main

    common = [str(ROOT / "experiments" / f"{name}.yaml"), "--quick", "--out", str(folder / "out"), "--cache", str(folder / "cache")]
    code = main(["report", *common])
    if code == 0:
        code = main(["notebook", *common, "--no-execute"])
    return code or execute_without_reportgen(folder / "out" / f"{name}.ipynb", folder / "nbconvert.log")


def hidden_reportgen(folder: Path) -> dict[str, str]:
    """An environment whose Python cannot import reportgen: a package of that name first on PYTHONPATH that refuses."""
    shadow = folder / "no-reportgen" / "reportgen"
    shadow.mkdir(parents=True, exist_ok=True)
    (shadow / "__init__.py").write_text('raise ImportError("reportgen is hidden from this kernel")\n')
    return {**os.environ, "PYTHONPATH": str(shadow.parent)}


def execute_without_reportgen(notebook: Path, log: Path, inplace: bool = True) -> int:
    """`jupyter nbconvert --to notebook --execute --inplace NOTEBOOK` in its folder, reportgen hidden; its exit status."""
    import subprocess

    env = hidden_reportgen(log.parent)
    assert subprocess.run([sys.executable, "-c", "import reportgen"], env=env, cwd=notebook.parent, capture_output=True).returncode != 0
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter) if jupyter.exists() else "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
               "--ExecutePreprocessor.timeout=900", notebook.name]
    with log.open("wb") as out:
        return subprocess.run(command, cwd=notebook.parent, env=env, stdout=out, stderr=subprocess.STDOUT).returncode


def cifar_environment(folder: Path) -> dict[str, str]:
    """A 120/40-image archive in FOLDER/data as the only CIFAR-10 there is: no Keras cache, no download."""
    return {"REPORTGEN_DATA_PATH": str(folder / "data"), "KERAS_HOME": str(folder / "keras")}


def _tiny_cifar(folder: Path) -> dict[str, str]:
    from datafiles import write_cifar10_archive

    write_cifar10_archive(folder / "data", n_train_per_class=12, n_test_per_class=4)
    return cifar_environment(folder)


def pw12_environment(folder: Path) -> dict[str, str]:
    """Nothing but what the data path holds: FOLDER/data and FOLDER/letters (a small copy of notMNIST in its idx format);
    Keras' and the decoder's caches its own."""
    return {"REPORTGEN_DATA_PATH": os.pathsep.join([str(folder / "data"), str(folder / "letters")]), "KERAS_HOME": str(folder / "keras"),
            "REPORTGEN_DECODED": str(folder / "decoded")}


def demo(folder: Path) -> int:
    """scikit-learn's bundled digits, no download; the same tables as the full build."""
    return _report("demo", folder, {})


def pw04(folder: Path) -> int:
    return _report("pw04", folder, _tiny_cifar(folder))


def pw09(folder: Path) -> int:
    return _report("pw09", folder, _tiny_cifar(folder))


def pw12(folder: Path) -> int:
    """Tiny CIFAR-10 and Food-101 in their official formats, stand-in ImageNet weights files, a tiny copy of notMNIST."""
    from datafiles import write_cifar10_archive, write_food101, write_idx_dataset
    from weightfiles import write_imagenet_weights

    write_idx_dataset(folder / "letters" / NOTMNIST_COPY, n_train=400, n_test=200)  # 28x28, ten classes, as notMNIST's files
    data = folder / "data"
    write_cifar10_archive(data, n_train_per_class=12, n_test_per_class=4)
    write_food101(data, FOOD20, train_per_class=3, test_per_class=2)
    write_imagenet_weights(data, "MobileNetV2", input_shape=(128, 128, 3))
    write_imagenet_weights(data / "models", "EfficientNetB0", input_shape=(128, 128, 3))
    return _report("pw12", folder, pw12_environment(folder))


def mnist_environment(folder: Path) -> dict[str, str]:
    """Tiny MNIST (a smaller copy, mnist-tiny/) and Fashion-MNIST idx folders on the data path, nothing else."""
    from datafiles import write_idx_dataset

    write_idx_dataset(folder / "data" / "mnist-tiny", n_train=300, n_test=100, seed=1)
    write_idx_dataset(folder / "data" / "fashion_mnist", n_train=300, n_test=100, seed=2)
    return {"REPORTGEN_DATA_PATH": str(folder / "data"), "KERAS_HOME": str(folder / "keras")}


def sat_pa3(folder: Path) -> int:
    return _report("sat-pa3", folder, mnist_environment(folder))


def i2dl_ex8(folder: Path) -> int:
    return _report("i2dl-ex8", folder, mnist_environment(folder))


BUILDS: dict[str, Callable[[Path], int]] = {"demo": demo, "pw04": pw04, "pw09": pw09, "pw12": pw12, "sat-pa3": sat_pa3,
                                            "i2dl-ex8": i2dl_ex8}

if __name__ == "__main__":
    sys.exit(BUILDS[sys.argv[1]](Path(sys.argv[2])))
