import ClassificationExperiment

ImageCommand<DQIFPaper>.main()
