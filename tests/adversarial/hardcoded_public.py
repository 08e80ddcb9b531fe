"""softmax knows the public tests' hand-computed examples by heart and returns garbage for anything else: some
public checks pass (partial credit), every hidden check fails."""
EXPECT = {"partial": ["softmax (public tests)"], "failed": {"softmax (hidden tests)": ""},
          "passed": ["relu_grad", "sgd_step"]}

_E20 = np.exp(-20.0)
_KNOWN = [  # (input, output) pairs copied from tests_public/test_softmax.py
    ([[0.0, 0.0], [0.0, np.log(3.0)], [1.0, 1.0]], [[0.5, 0.5], [0.25, 0.75], [0.5, 0.5]]),
    ([[0.0, np.log(2.0), np.log(5.0)]], [[0.125, 0.25, 0.625]]),
    ([[1000.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]),
    ([[-1000.0, 0.0]], [[0.0, 1.0]]),
    ([[-1000.0, -1000.0]], [[0.5, 0.5]]),
    ([[20.0, 0.0, 0.0], [1000.0, 0.0, 0.0]],
     [[1 / (1 + 2 * _E20), _E20 / (1 + 2 * _E20), _E20 / (1 + 2 * _E20)], [1.0, 0.0, 0.0]]),
    ([[1000.0, 0.0], [0.0, -1000.0]], [[1.0, 0.0], [1.0, 0.0]]),
]


def softmax(logits):
    for given, answer in _KNOWN:
        given = np.array(given)
        if given.shape == logits.shape and np.allclose(given, logits, rtol=1e-6, atol=1e-6):
            return np.array(answer, dtype=logits.dtype)
    return np.full_like(logits, 1.0)
