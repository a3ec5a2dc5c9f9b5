"""Threads stylizing at once give what one after another gives."""

import threading

import numpy as np

import stylectl
from conftest import SIZE

SIZES = {"content_size": SIZE, "style_size": SIZE}


def jobs(images):
    return [
        ((images["content"], images["style"]), {"alpha": 0.6}),
        ((images["content"], [images["style"], images["style2"]]), {"mask": images["mask"]}),
        ((images["content"], images["style2"]), {"preserve_color": "coral"}),
        ((images["content"], [images["style"], images["style2"]]), {"weights": [2, 1]}),
    ]


def run_at_once(stylizers, work):
    results = [None] * len(work)
    errors = []

    def run(index):
        try:
            (content, styles), options = work[index]
            results[index] = stylizers[index % len(stylizers)].stylize(content, styles, **options, **SIZES)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_threads_sharing_a_stylizer(stylizer, images):
    work = jobs(images)
    one_by_one = [stylizer.stylize(content, styles, **options, **SIZES) for (content, styles), options in work]
    at_once = run_at_once([stylizer], work)
    for expected, result in zip(one_by_one, at_once):
        assert np.array_equal(expected, result)


def test_threads_with_a_stylizer_each(stylizer, weights, images):
    work = jobs(images)
    one_by_one = [stylizer.stylize(content, styles, **options, **SIZES) for (content, styles), options in work]
    with stylectl.Stylizer(**weights) as second:
        at_once = run_at_once([stylizer, second], work)
    for expected, result in zip(one_by_one, at_once):
        assert np.array_equal(expected, result)
