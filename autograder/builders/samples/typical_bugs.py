def softmax(logits):
    exps = np.exp(logits)  # bug: no max shift, so logits of 1000 overflow to nan
    return exps / exps.sum(axis=1, keepdims=True)


_backward = backward


def backward(params, cache, labels):
    grads = _backward(params, cache, labels)
    return {k: v * len(labels) for k, v in grads.items()}  # bug: gradient of the summed loss, not the mean
