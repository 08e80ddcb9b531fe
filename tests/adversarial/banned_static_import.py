"""A plain `import torch`: blocked before anything runs; every test gets 0 with the 'banned' message."""
import torch

EXPECT = {"score": 0, "failed": {"*": "banned"}, "output": "[banned]", "status": "banned import"}


def softmax(logits):
    return torch.softmax(torch.from_numpy(logits), dim=1).numpy()
