// placeholder, replaced by the image codec work
