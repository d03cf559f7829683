# A user class written as Seldon Core's Python-wrapper docs show it (their IrisClassifier
# example; `import joblib` because sklearn.externals.joblib is gone): no base class, no
# infergraph import, the model file read from the working directory. Kept untyped on purpose.
import joblib


class IrisClassifier(object):  # noqa: UP004 (as in Seldon's docs)
    def __init__(self):
        self.model = joblib.load("IrisClassifier.sav")

    def predict(self, X, features_names):
        return self.model.predict_proba(X)
