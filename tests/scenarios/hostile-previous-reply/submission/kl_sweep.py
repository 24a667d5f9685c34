from thief import answer


def __getattr__(name):
    return answer(name)
