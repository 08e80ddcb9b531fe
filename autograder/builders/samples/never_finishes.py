def softmax(logits):
    while True:  # bug: never returns
        pass
